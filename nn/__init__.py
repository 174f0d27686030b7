"""chainrule's neural-network library, built only from autograd's differentiable operations."""
