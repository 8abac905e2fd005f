"""Beatwatch: scheduled monitoring of local news and council papers for policing and crime topics.

Data flows one way: sources -> fetch -> items -> extract -> match -> store -> digest -> deliver.
Each stage is a module or subpackage of this package named for the stage; ``app`` wires them together.
"""

__version__ = "0.1.0"
