"""FPO-CMH (Li et al., IEEE TIP 2025) and its parts: bank, labellers, heads, learners."""
