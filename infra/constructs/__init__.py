"""One construct per capability; the stack only wires them together."""
