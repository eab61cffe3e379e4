"""Large list exports built by the worker (docs/scale.md §12.5): the job (`models`),
its path from the click to the file (`service`), the replay of the list view in the worker
(`replay`) and its two pages (`views`)."""
