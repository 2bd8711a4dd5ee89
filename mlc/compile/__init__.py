"""The compile driver: `function`, its graph preparation, and the pipeline to native code."""
