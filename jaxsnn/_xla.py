"""Keep XLA from contracting ``a*b + c`` into fused multiply-adds on the CPU.

NEST evaluates ``P30*(y0 + I_e) + P33*y`` with separate roundings; XLA's CPU backend would emit FMA
instructions, which round once and change the last bit of V_m. Capping the instruction set at AVX
(no FMA3) makes float64 runs bit-identical to NEST. The flag must be set before JAX starts its CPU
backend, so it is set when jaxsnn is imported; set ``JAXSNN_ALLOW_FMA=1`` to keep XLA's default.
"""
import os


def disable_fma():
    flags = os.environ.get("XLA_FLAGS", "")
    if os.environ.get("JAXSNN_ALLOW_FMA") != "1" and "xla_cpu_max_isa" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_max_isa=AVX").strip()
