//! Output: rendering results for people (tables) and Prometheus
//! (metrics), the sink that takes them to stdout, and progress bars on
//! stderr. Renderers are pure; nothing here touches the kernel.

pub mod file;
pub mod metrics;
pub mod progress;
pub mod sink;
pub mod tables;
