/** Layers several stages share: {@code Linear} (with an optional LoRA adapter), attention, RMS and layer norms, and {@code Params} (a component's named tensors from a checkpoint or random init). Depends on nothing above it. */
package dev.auris.nn;
