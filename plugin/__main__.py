"""The flowroute provider plugin's entry point: the engine runs this file with its address."""

from pulumi_flowroute.plugin import serve

if __name__ == "__main__":
    serve()
