//! Signatures exactly as the Standard Webhooks specification gives them (R-WH-1):
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//! under the bytes of the `whsec_` secret; during a rotation one signature per
//! secret, separated by a space (R-WH-6).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::{SecretError, random};

pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` + base64 of 24 random bytes.
pub fn generate_secret() -> Result<String, SecretError> {
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(random::<24>()?)))
}

fn key_bytes(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(encoded).unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

/// One `v1,…` signature.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes(secret)).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per secret still signing.
pub fn signature_header(secrets: &[String], id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().map(|s| sign(s, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_wh_1_the_standard_webhooks_library_verifies_our_signature_unchanged() {
        let secret = generate_secret().unwrap();
        let body = r#"{"type":"employee.created","timestamp":"2027-01-01T00:00:00.000Z","data":{"id":"x"}}"#;
        let id = "01a23456-7890-7abc-8def-0123456789ab";
        let ts = chrono::Utc::now().timestamp();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("webhook-id", id.parse().unwrap());
        headers.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature_header(&[generate_secret().unwrap(), secret.clone()], id, ts, body).parse().unwrap());
        let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
        verifier.verify(body.as_bytes(), &headers).expect("verified by the standardwebhooks crate");
        let tampered = body.replace("\"x\"", "\"y\"");
        assert!(verifier.verify(tampered.as_bytes(), &headers).is_err());
    }

    #[test]
    fn r_wh_1_signature_matches_the_specifications_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
