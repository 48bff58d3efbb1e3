//! The single integration-test binary (one link, shared helpers).
//! Kernel tests run in private network namespaces and need root.

mod architecture;
mod bad_input;
mod bench;
mod bench_list;
mod bulk;
mod cli_kernel;
mod compat;
mod crash;
mod deploy;
mod equivalence;
mod generated;
mod image;
mod kernel_faults;
mod kernel_list;
mod ownership;
mod reconcile;
mod reduce;
mod rules;
mod services;
mod util;
