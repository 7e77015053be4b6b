"""NEST's arithmetic in XLA: every product rounded before it is added (no fused multiply-add)."""
from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.custom_jvp
def separately_rounded(product, always):
    """``product`` as it is, rounded before any addition that uses it.

    NEST rounds every product before adding it. On CPUs with FMA, XLA's backend contracts ``a*b + c``
    into one fused multiply-add (rounded once), which changes the last bit of V_m. A select on a mask
    the compiler cannot prove true (``always``, true at run time) stands between the two and prevents it;
    two products added together need different masks, or XLA merges the selects and then the products.

    Derivative: that of ``product`` (the mask is true). Differentiating the select itself would make
    reverse mode store the mask in every step of a run (batched under ``jax.vmap``), for nothing.
    """
    return jnp.where(always, product, 0.0)


@separately_rounded.defjvp
def _separately_rounded_jvp(primals, tangents):
    out = separately_rounded(*primals)
    return out, jnp.broadcast_to(tangents[0], out.shape).astype(out.dtype)
