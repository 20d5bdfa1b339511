//! No server-side request forgery (R-WH-5): an endpoint URL must be `https://`
//! with no credentials in it, and every address its host resolves to must be
//! public: no loopback, private, link-local, shared, multicast, unspecified,
//! documentation or cloud-metadata address. Checked when the endpoint is saved
//! and at every attempt, after resolution, by the resolver the HTTP client
//! connects through, so no packet ever goes to a refused address. A deployment
//! may allow plain `http://` to loopback (`ROSTER_WEBHOOK_ALLOW_LOOPBACK`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Why a URL is refused; each says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("'{0}' is not a URL; expected e.g. https://hooks.example.com/roster")]
    NotAUrl(String),
    #[error("the URL must start with https:// (found {0}://)")]
    NotHttps(String),
    #[error("the URL must not carry a user name or password; put credentials in the receiver, verify the signature instead")]
    Credentials,
    #[error("the URL has no host name")]
    NoHost,
    #[error("{host} resolves to {address}, a {kind} address; webhooks go to public addresses only")]
    Forbidden { host: String, address: IpAddr, kind: &'static str },
    #[error("{0} cannot be resolved")]
    Unresolvable(String),
}

impl UrlRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAUrl(_) | Self::NoHost => "INVALID_URL",
            Self::NotHttps(_) => "URL_NOT_HTTPS",
            Self::Credentials => "URL_HAS_CREDENTIALS",
            Self::Forbidden { .. } => "URL_FORBIDDEN_ADDRESS",
            Self::Unresolvable(_) => "URL_UNRESOLVABLE",
        }
    }
}

/// What kind of forbidden address `ip` is, or `None` when it is public (or a
/// loopback address the deployment allows).
pub fn forbidden(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    if ip.is_loopback() {
        return (!allow_loopback).then_some("loopback");
    }
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden(IpAddr::V4(v4), allow_loopback),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud-metadata")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_multicast() || a >= 224 {
        Some("multicast or reserved")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("reserved")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip == "fd00:ec2::254".parse::<Ipv6Addr>().expect("a literal") {
        Some("cloud-metadata")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("documentation")
    } else {
        None
    }
}

/// The URL's form: https (or loopback http when allowed), no credentials, a host.
pub fn parse(raw: &str, allow_loopback: bool) -> Result<Url, UrlRefusal> {
    let url = Url::parse(raw.trim()).map_err(|_| UrlRefusal::NotAUrl(raw.trim().chars().take(200).collect()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or(UrlRefusal::NoHost)?.to_string();
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && is_loopback_host(&host) => {}
        other => return Err(UrlRefusal::NotHttps(other.to_string())),
    }
    Ok(url)
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Every address of `host` must be allowed; the allowed ones are returned.
pub fn check_addresses(host: &str, addresses: &[SocketAddr], allow_loopback: bool) -> Result<(), UrlRefusal> {
    if addresses.is_empty() {
        return Err(UrlRefusal::Unresolvable(host.to_string()));
    }
    for address in addresses {
        if let Some(kind) = forbidden(address.ip(), allow_loopback) {
            return Err(UrlRefusal::Forbidden { host: host.to_string(), address: address.ip(), kind });
        }
    }
    Ok(())
}

/// Resolves the URL's host (a literal address needs no lookup) and checks every address.
pub async fn resolve_checked(url: &Url, allow_loopback: bool) -> Result<Vec<SocketAddr>, UrlRefusal> {
    let host = url.host_str().ok_or(UrlRefusal::NoHost)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_matches(['[', ']']);
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port)).await.map_err(|_| UrlRefusal::Unresolvable(host.to_string()))?.collect(),
    };
    check_addresses(host, &addresses, allow_loopback)?;
    Ok(addresses)
}

/// The resolver the delivery client connects through: it refuses a name whose
/// addresses are not all allowed, so the check holds at connection time too.
pub struct GuardedResolver {
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_addresses(&host, &addresses, allow_loopback).map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> &'static str {
        parse(raw, false).unwrap_err().code()
    }

    #[test]
    fn r_wh_5_forms_that_are_refused_before_any_lookup() {
        assert_eq!(refused("not a url"), "INVALID_URL");
        assert_eq!(refused("http://hooks.example.com/x"), "URL_NOT_HTTPS");
        assert_eq!(refused("ftp://hooks.example.com/x"), "URL_NOT_HTTPS");
        assert_eq!(refused("https://user:pw@hooks.example.com/x"), "URL_HAS_CREDENTIALS");
        assert!(parse("https://hooks.example.com/x", false).is_ok());
        // Plain http only to loopback, and only when the deployment allows it.
        assert!(parse("http://127.0.0.1:9/x", true).is_ok());
        assert_eq!(parse("http://hooks.example.com/x", true).unwrap_err().code(), "URL_NOT_HTTPS");
        assert_eq!(refused("http://127.0.0.1:9/x"), "URL_NOT_HTTPS");
    }

    #[test]
    fn r_wh_5_forbidden_addresses() {
        let kind = |ip: &str| forbidden(ip.parse().unwrap(), false);
        assert_eq!(kind("10.0.0.1"), Some("private"));
        assert_eq!(kind("172.16.5.4"), Some("private"));
        assert_eq!(kind("192.168.1.1"), Some("private"));
        assert_eq!(kind("169.254.169.254"), Some("cloud-metadata"));
        assert_eq!(kind("169.254.1.1"), Some("link-local"));
        assert_eq!(kind("127.0.0.1"), Some("loopback"));
        assert_eq!(kind("::1"), Some("loopback"));
        assert_eq!(kind("::ffff:10.0.0.1"), Some("private"));
        assert_eq!(kind("fd00:ec2::254"), Some("cloud-metadata"));
        assert_eq!(kind("fc00::1"), Some("private (unique local)"));
        assert_eq!(kind("fe80::1"), Some("link-local"));
        assert_eq!(kind("224.0.0.1"), Some("multicast or reserved"));
        assert_eq!(kind("100.64.0.1"), Some("shared (carrier-grade NAT)"));
        assert_eq!(kind("0.0.0.0"), Some("unspecified"));
        assert_eq!(kind("93.184.216.34"), None);
        assert_eq!(kind("2606:2800:220:1:248:1893:25c8:1946"), None);
        assert_eq!(forbidden("127.0.0.1".parse().unwrap(), true), None);
        assert_eq!(forbidden("10.0.0.1".parse().unwrap(), true), Some("private"));
    }
}
