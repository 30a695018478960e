"""FunReason-MT Workbench core: environments, API graph, and the three phases as inspectable steps."""

__version__ = "0.1.0"
