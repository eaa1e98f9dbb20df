"""Knowledge graph core: the store interface, its implementations, namespaces and resources."""
