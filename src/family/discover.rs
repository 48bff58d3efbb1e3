//! Reading a family's definition from its umbrella listing (pure): a
//! consistent family, a damaged one (mipset metadata, but shards missing or
//! out of order), or a set that is not a family at all.

use crate::listing::{Member, SetInfo};
use crate::meta::{self, FamilySpec};

/// What reading an umbrella set told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// A consistent family.
    Family(FamilySpec),
    /// mipset metadata is there but the family is inconsistent (a shard was
    /// removed from the umbrella, members out of order...).
    Damaged { spec: FamilySpec, problem: String },
    /// Not a mipset family at all.
    NotFamily(String),
}

/// Read a family definition from its umbrella listing (with members).
pub fn discover(umbrella: &SetInfo) -> Discovery {
    if umbrella.set_type != "list:set" {
        return Discovery::NotFamily(format!("it is a {}, not a list:set", umbrella.set_type));
    }
    let members = umbrella.members.as_deref().unwrap_or(&[]);
    let decode = |m: &Member| meta::decode(&umbrella.name, m.comment.as_deref().unwrap_or(""));
    // The definition comes from the first member that carries valid
    // metadata; a set where none does is not a family.
    let spec = match members.iter().find_map(|m| decode(m).ok()) {
        Some((spec, _)) => spec,
        None => {
            let reason = match members.first().map(decode) {
                Some(Err(e)) => e,
                _ => "an empty list:set without mipset metadata".to_string(),
            };
            return Discovery::NotFamily(reason);
        }
    };
    let problem = |problem: String| Discovery::Damaged {
        spec: spec.clone(),
        problem,
    };
    // mipset writes every member comment in canonical form, so comparing
    // with the expected text checks name, order and definition at once
    // (and costs far less than decoding each comment).
    let encoder = spec.encoder();
    for (i, member) in members.iter().enumerate() {
        let index = i as u32;
        let name_ok = member
            .elem
            .strip_prefix(spec.name.as_str())
            .and_then(|rest| rest.strip_prefix("-s"))
            .and_then(|rest| meta::strip_number(rest, index))
            == Some("");
        if !name_ok || !encoder.matches(member.comment.as_deref().unwrap_or(""), index) {
            let why = match meta::decode(&umbrella.name, member.comment.as_deref().unwrap_or("")) {
                Err(e) => format!("member {} has bad metadata: {e}", member.elem),
                Ok((s, _)) if s != spec => {
                    format!("member {} disagrees on the family definition", member.elem)
                }
                Ok(_) => format!(
                    "member {} is at position {i}, expected {}",
                    member.elem,
                    spec.shard_name(index)
                ),
            };
            return problem(why);
        }
    }
    if members.len() != spec.shards as usize {
        return problem(format!(
            "the umbrella lists {} of {} shards",
            members.len(),
            spec.shards
        ));
    }
    Discovery::Family(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::test_spec as spec;

    fn umbrella(spec: &FamilySpec, members: Vec<Member>) -> SetInfo {
        SetInfo {
            name: spec.name.clone(),
            set_type: "list:set".into(),
            members: Some(members),
            ..SetInfo::default()
        }
    }

    fn members(spec: &FamilySpec) -> Vec<Member> {
        (0..spec.shards)
            .map(|i| Member {
                elem: spec.shard_name(i),
                comment: Some(spec.encode(i)),
            })
            .collect()
    }

    #[test]
    fn discovers_a_consistent_family() {
        let s = spec(4);
        assert_eq!(discover(&umbrella(&s, members(&s))), Discovery::Family(s));
    }

    #[test]
    fn damaged_and_foreign_sets_are_told_apart() {
        let s = spec(4);
        let mut m = members(&s);
        m.remove(2);
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let mut m = members(&s);
        m.swap(0, 1);
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let mut m = members(&s);
        m[3].comment = Some(spec(8).encode(3));
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let foreign = vec![Member {
            elem: "x".into(),
            comment: Some("hello".into()),
        }];
        assert!(matches!(
            discover(&umbrella(&s, foreign)),
            Discovery::NotFamily(_)
        ));
        assert!(matches!(
            discover(&umbrella(&s, vec![])),
            Discovery::NotFamily(_)
        ));
        let mut hash = umbrella(&s, members(&s));
        hash.set_type = "hash:ip".into();
        assert!(matches!(discover(&hash), Discovery::NotFamily(_)));
    }
}
