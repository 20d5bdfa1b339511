//! Fuzzing token verification: real tokens cut, bit-flipped and re-signed
//! around hostile headers and claims (alg `none`, absurd numbers, deeply nested
//! or huge JSON, wrong types). Verification must never panic, and must accept a
//! token only when its signature is the configured key's and its claims are
//! those Roster reads.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use super::*;

const SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

fn authenticator() -> Authenticator {
    Authenticator::new(&AuthSettings { key: JwtKey::Secret(SECRET.into()), issuer: None, audience: None }).unwrap()
}

fn valid_token() -> String {
    let company = Some(Uuid::from_u128(7));
    authenticator().mint("alice", Role::Admin, company, vec!["imports:write".into()], Duration::from_secs(3600)).unwrap()
}

/// Signs any header and payload text with the configured secret (through
/// jsonwebtoken's own HS256 signer), so a mutation reaches the parsing of the
/// claims instead of failing at the signature.
fn signed(header: &str, payload: &str) -> String {
    let head = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let signature = jsonwebtoken::crypto::sign(head.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
    format!("{head}.{signature}")
}

fn hostile_payload() -> impl Strategy<Value = String> {
    let exp = Utc::now().timestamp() + 3600;
    prop_oneof![
        (1usize..50_000).prop_map(move |depth| format!(
            r#"{{"sub":{}1{},"role":"admin","exp":{exp}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )),
        Just(format!(r#"{{"sub":"a","role":"admin","company_id":"not-a-uuid","exp":{exp}}}"#)),
        Just(r#"{"sub":"a","role":"admin","company_id":"00000000-0000-0000-0000-000000000007","exp":1e400}"#.to_string()),
        Just(r#"{"sub":"a","role":"admin","company_id":"00000000-0000-0000-0000-000000000007","exp":-9223372036854775808}"#.to_string()),
        Just(format!(r#"{{"sub":"a","role":"root","exp":{exp}}}"#)),
        Just(format!(r#"{{"sub":"a","role":"support","exp":{exp}}}"#)),
        Just(format!(r#"{{"sub":"a","role":"admin","exp":{exp}}}"#)),
        (1usize..2_000_000).prop_map(move |n| format!(r#"{{"sub":"{}","role":"support","exp":{exp}}}"#, "x".repeat(n))),
        Just(format!(r#"{{"sub":"a","role":"admin","scopes":{{"a":1}},"company_id":"00000000-0000-0000-0000-000000000007","exp":{exp}}}"#)),
        "\\PC{0,200}",
    ]
}

fn hostile_header() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"alg":"HS256","typ":"JWT"}"#.to_string()),
        Just(r#"{"alg":"none","typ":"JWT"}"#.to_string()),
        Just(r#"{"alg":"RS256"}"#.to_string()),
        Just(r#"{"alg":"HS256","kid":[[[[[[]]]]]],"crit":["exp"]}"#.to_string()),
        "\\PC{0,60}",
    ]
}

fn accepted_claims_are_sound(caller: &Caller) -> bool {
    caller.role == Role::Support || caller.company_id.is_some()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(256), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_mutated_real_tokens(cut in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..7), 0..4), truncate in any::<bool>()) {
        let original = valid_token();
        let mut bytes = original.clone().into_bytes();
        for (at, bit) in &flips {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let mutated = String::from_utf8_lossy(&bytes).to_string();
        let auth = authenticator();
        let outcome = auth.verify(&mutated);
        let header = auth.verify_header(Some(&format!("Bearer {mutated}")));
        prop_assert_eq!(outcome.is_ok(), header.is_ok());
        if let Ok(caller) = outcome {
            // Only a mutation that changed nothing the signature covers may pass.
            prop_assert_eq!(caller, auth.verify(&original).unwrap());
        }
    }

    #[test]
    fn fuzz_signed_hostile_headers_and_claims(header in hostile_header(), payload in hostile_payload()) {
        let auth = authenticator();
        if let Ok(caller) = auth.verify(&signed(&header, &payload)) {
            prop_assert!(accepted_claims_are_sound(&caller), "{caller:?}");
            prop_assert!(header.contains("HS256"), "only the configured algorithm passes: {header}");
        }
    }

    #[test]
    fn fuzz_authorization_headers(raw in "\\PC{0,300}") {
        let _ = authenticator().verify_header(Some(&raw));
    }
}

#[test]
fn a_token_whose_signature_is_none_is_refused() {
    let exp = Utc::now().timestamp() + 3600;
    let payload = format!(r#"{{"sub":"a","role":"support","exp":{exp}}}"#);
    let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(payload));
    assert!(authenticator().verify(&unsigned).is_err());
}
