//! Credentials at rest (R-WH-6, and later HR-system keys): sealed with
//! XChaCha20-Poly1305 under the deployment's key (`ROSTER_ENCRYPTION_KEY`, or a
//! key generated once next to the SQLite database). A sealed value is
//! `v1:` + base64(nonce ‖ ciphertext); the database never holds one in the clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const PREFIX: &str = "v1:";
const NONCE: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the encryption key must be 32 bytes, as base64 (44 characters) or hex (64); got {0} characters")]
    BadKey(usize),
    #[error("a stored secret cannot be opened with this encryption key (was ROSTER_ENCRYPTION_KEY changed?)")]
    CannotOpen,
    #[error("no randomness available: {0}")]
    Random(String),
}

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl SecretBox {
    /// A key given as base64 or hex text.
    pub fn from_text(key: &str) -> Result<Self, SecretError> {
        let key = key.trim();
        let bytes = if key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&key[2 * i..2 * i + 2], 16).unwrap_or(0)).collect()
        } else {
            STANDARD.decode(key).map_err(|_| SecretError::BadKey(key.len()))?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey(key.len()))?;
        Ok(Self { cipher: XChaCha20Poly1305::new(&key.into()) })
    }

    /// A new random key, as the base64 text `from_text` takes.
    pub fn generate_key() -> Result<String, SecretError> {
        Ok(STANDARD.encode(random::<32>()?))
    }

    pub fn seal(&self, plain: &str) -> Result<String, SecretError> {
        let nonce = random::<NONCE>()?;
        let sealed = self.cipher.encrypt(&XNonce::from(nonce), plain.as_bytes()).map_err(|_| SecretError::CannotOpen)?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let bytes = sealed.strip_prefix(PREFIX).and_then(|b| STANDARD.decode(b).ok()).ok_or(SecretError::CannotOpen)?;
        if bytes.len() <= NONCE {
            return Err(SecretError::CannotOpen);
        }
        let (nonce, body) = bytes.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| SecretError::CannotOpen)?;
        let plain = self.cipher.decrypt(&XNonce::from(nonce), body).map_err(|_| SecretError::CannotOpen)?;
        String::from_utf8(plain).map_err(|_| SecretError::CannotOpen)
    }
}

pub fn random<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_wh_6_a_sealed_secret_opens_only_with_its_key_and_never_shows_the_plain_text() {
        let key = SecretBox::generate_key().unwrap();
        let vault = SecretBox::from_text(&key).unwrap();
        let sealed = vault.seal("whsec_c2VjcmV0").unwrap();
        assert!(!sealed.contains("c2VjcmV0") && sealed.starts_with("v1:"));
        assert_ne!(sealed, vault.seal("whsec_c2VjcmV0").unwrap(), "a fresh nonce each time");
        assert_eq!(vault.open(&sealed).unwrap(), "whsec_c2VjcmV0");
        let other = SecretBox::from_text(&SecretBox::generate_key().unwrap()).unwrap();
        assert_eq!(other.open(&sealed), Err(SecretError::CannotOpen));
        assert_eq!(SecretBox::from_text("short").err(), Some(SecretError::BadKey(5)));
        assert!(SecretBox::from_text(&"ab".repeat(32)).is_ok());
    }
}
