//! Property tests: the token parser and the whole validator never panic, whatever the input —
//! random strings, random dot-separated base64url segments, random JSON headers and claims, and
//! valid tokens with one byte changed (which must also never be accepted).

mod support;

use std::sync::OnceLock;

use authdoctor_guard::{KeySet, Validator};
use proptest::prelude::*;
use support::*;

fn setup() -> &'static (Keys, Validator, String) {
    static S: OnceLock<(Keys, Validator, String)> = OnceLock::new();
    S.get_or_init(|| {
        let k = keys();
        let v = Validator::builder()
            .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
            .issuer(ISS)
            .audience(AUD)
            .fixed_time(NOW)
            .build()
            .unwrap();
        let t = token(&k, "HS256", "read");
        (k, v, t)
    })
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-zA-Z0-9+/=._ -]{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("none"),
            Just("HS256"),
            Just("RS256"),
            Just("ES256"),
            Just("at+jwt"),
            Just("hs")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("alg".to_owned()),
                    Just("kid".to_owned()),
                    Just("typ".to_owned()),
                    Just("crit".to_owned()),
                    Just("exp".to_owned()),
                    Just("aud".to_owned()),
                    Just("iss".to_owned()),
                    Just("scope".to_owned()),
                    "[a-z]{1,4}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,400}") {
        let (_, v, _) = setup();
        let _ = v.validate_cached(&s);
    }

    #[test]
    fn arbitrary_segments_never_panic(segs in prop::collection::vec("[A-Za-z0-9_=+/-]{0,80}", 0..6)) {
        let (_, v, _) = setup();
        let _ = v.validate_cached(&segs.join("."));
    }

    #[test]
    fn arbitrary_json_never_panics_nor_passes(h in json_value(), c in json_value(), sig in prop::collection::vec(any::<u8>(), 0..300)) {
        let (_, v, _) = setup();
        let t = format!("{}.{}.{}", b64(h.to_string()), b64(c.to_string()), b64(sig));
        prop_assert!(v.validate_cached(&t).is_err());
    }

    #[test]
    fn one_changed_byte_is_never_accepted(pos in any::<prop::sample::Index>(), byte in 0x21u8..0x7f) {
        let (_, v, good) = setup();
        let mut b = good.clone().into_bytes();
        let i = pos.index(b.len());
        prop_assume!(b[i] != byte);
        b[i] = byte;
        let t = String::from_utf8(b).unwrap();
        prop_assert!(v.validate_cached(&t).is_err(), "accepted a modified token at byte {}", i);
    }
}
