//! Finishing the container's process: shared by lxcri-init and `lxcri exec`.
