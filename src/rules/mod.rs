//! Rules: the iptables rules that let packets match a family.
//!
//! * [`spec`] (pure): what a rule is, its layouts, and how mipset marks
//!   its rules and names its chains;
//! * [`plan`] (pure): the rules and dispatch chains of one layout, as text;
//! * [`save`] (pure): reading `iptables-save` output back; [`installed`]
//!   (pure): what is found installed, in which backend; [`found`] (pure):
//!   which saved rules are mipset's, foreign or orphaned chains;
//! * [`iptables`] (system boundary): running the iptables binaries;
//! * [`apply`] (engine): installing, finding, checking and removing rules;
//! * [`switch`] (engine): the rule side of `destroy --rules`, `resize` and
//!   `check`.

pub mod apply;
pub mod found;
pub mod installed;
pub mod iptables;
pub mod plan;
pub mod save;
pub mod spec;
pub mod switch;
