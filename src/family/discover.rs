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
    let comment = |m: &Member| m.comment.clone().unwrap_or_default();
    // The definition comes from the first member; a set whose members do
    // not all carry that family's metadata, each under its own shard's name,
    // is not a family (a hand-made list:set with one mipset-like comment is
    // not adopted, repaired or changed).
    let spec = match members
        .first()
        .map(|m| meta::decode(&umbrella.name, &comment(m)))
    {
        Some(Ok((spec, _))) => spec,
        Some(Err(e)) => return Discovery::NotFamily(e),
        None => {
            return Discovery::NotFamily("an empty list:set without mipset metadata".to_string())
        }
    };
    // mipset writes every member comment in canonical form, so comparing
    // with the expected text checks name, order and definition at once
    // (and costs far less than decoding each comment).
    let encoder = spec.encoder();
    let mut misplaced = None;
    for (i, member) in members.iter().enumerate() {
        let index = i as u32;
        let name_ok = member.elem == spec.shard_name(index);
        if name_ok
            && encoder
                .matches_with_records(&spec.name, &comment(member), index)
                .is_some()
        {
            continue;
        }
        let foreign = |why: String| Discovery::NotFamily(format!("member {} {why}", member.elem));
        match meta::decode(&umbrella.name, &comment(member)) {
            Err(e) => return foreign(format!("has no mipset metadata ({e})")),
            Ok((s, _)) if s != spec => {
                return foreign("disagrees on the family definition".to_string())
            }
            Ok((_, claimed)) if member.elem != spec.shard_name(claimed) => {
                return foreign(format!(
                    "carries the metadata of {}",
                    spec.shard_name(claimed)
                ))
            }
            Ok((_, claimed))
                if encoder
                    .matches_with_records(&spec.name, &comment(member), claimed)
                    .is_none() =>
            {
                return foreign("has metadata mipset did not write".to_string())
            }
            Ok(_) => {
                misplaced.get_or_insert_with(|| {
                    format!(
                        "member {} is at position {i}, expected {}",
                        member.elem,
                        spec.shard_name(index)
                    )
                });
            }
        }
    }
    let problem = |problem: String| Discovery::Damaged {
        spec: spec.clone(),
        problem,
    };
    if let Some(why) = misplaced {
        return problem(why);
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
            Discovery::NotFamily(_)
        ));
        // One valid-looking comment does not make a family: every member
        // must carry the family's metadata under its own name.
        let mut m = members(&s);
        m[1].comment = Some("someone else's".into());
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::NotFamily(_)
        ));
        let mut m = members(&s);
        m[2].elem = "other".into();
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::NotFamily(_)
        ));
        let mut m = members(&s);
        m[2].comment = Some(format!("{} temp=other-t1", s.encode(2)));
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::NotFamily(_)
        ));
        let mut m = members(&s);
        m[2].comment = Some(format!("{} temp=web-t1", s.encode(2)));
        assert_eq!(discover(&umbrella(&s, m)), Discovery::Family(s.clone()));
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
