//! The single integration-test binary (one link, shared helpers).
//! Kernel tests run in private network namespaces and need root.

mod cli_kernel;
mod equivalence;
mod generated;
mod util;
