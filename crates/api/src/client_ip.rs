//! The caller's address behind reverse proxies, as MediaWiki's `WebRequest::getIP()` finds it:
//! start at the connection's peer; while the current address is a trusted proxy
//! (`trusted_proxies`, MediaWiki's `$wgCdnServersNoPurge`) and `X-Forwarded-For` names a hop
//! before it, move to that hop. The result is the rightmost address that is not a trusted proxy
//! (or the leftmost hop when every one is trusted). Without trusted proxies the header is
//! ignored, so a client cannot choose its own address.

use axum::http::HeaderMap;
pub use ipnet::IpNet;
use std::net::IpAddr;

pub use mwupload_core::config::parse_trusted_proxies as parse_trusted;

/// `::ffff:a.b.c.d` is the IPv4 host `a.b.c.d` (a dual-stack socket reports it that way).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` hop: an address, possibly bracketed or with a port (some proxies add
/// one); `unknown` and garbage are None.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .map(canonical)
}

/// The client's address: `peer` unless it is a trusted proxy, then the hops of `forwarded_for`
/// (every `X-Forwarded-For` value in order, each a comma-separated list) from the right.
pub fn resolve<'a>(peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>, trusted: &[IpNet]) -> IpAddr {
    let mut ip = canonical(peer);
    if trusted.is_empty() {
        return ip;
    }
    let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
    for hop in hops.iter().rev() {
        if !trusted.iter().any(|n| n.contains(&ip)) {
            break;
        }
        // An unparsable hop ("unknown", garbage) ends the walk at the proxy that sent it.
        match parse_hop(hop) {
            Some(next) => ip = next,
            None => break,
        }
    }
    ip
}

/// [`resolve`] over a request's headers.
pub fn from_headers(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let values = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    resolve(peer, values, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(e: &[&str]) -> Vec<IpNet> {
        parse_trusted(&e.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let t = nets(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("192.0.2.1"), ["203.0.113.9"], &t), ip("192.0.2.1"));
        // No trusted proxies at all: the header is never read.
        assert_eq!(resolve(ip("10.0.0.1"), ["203.0.113.9"], &[]), ip("10.0.0.1"));
    }

    #[test]
    fn trusted_peer_gives_the_rightmost_untrusted_hop() {
        let t = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        // Client-supplied spoof on the left, our two proxies on the right.
        assert_eq!(
            resolve(ip("127.0.0.1"), ["198.51.100.66, 203.0.113.9, 10.1.2.3"], &t),
            ip("203.0.113.9")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            resolve(ip("127.0.0.1"), ["198.51.100.66", "203.0.113.9 , 10.1.2.3"], &t),
            ip("203.0.113.9")
        );
        // Every hop trusted: the leftmost one.
        assert_eq!(resolve(ip("127.0.0.1"), ["10.9.9.9, 10.1.2.3"], &t), ip("10.9.9.9"));
        // No header: the peer.
        assert_eq!(resolve(ip("127.0.0.1"), [], &t), ip("127.0.0.1"));
    }

    #[test]
    fn unknown_or_garbage_hop_stops_at_the_proxy() {
        let t = nets(&["127.0.0.1"]);
        assert_eq!(resolve(ip("127.0.0.1"), ["203.0.113.9, unknown"], &t), ip("127.0.0.1"));
        assert_eq!(resolve(ip("127.0.0.1"), ["<script>"], &t), ip("127.0.0.1"));
        assert_eq!(resolve(ip("127.0.0.1"), [""], &t), ip("127.0.0.1"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses() {
        let t = nets(&["::1", "127.0.0.0/8"]);
        assert_eq!(resolve(ip("::ffff:127.0.0.1"), ["203.0.113.9:4711"], &t), ip("203.0.113.9"));
        assert_eq!(resolve(ip("::1"), ["[2001:db8::7]:443"], &t), ip("2001:db8::7"));
        assert_eq!(resolve(ip("::1"), ["[2001:db8::7]"], &t), ip("2001:db8::7"));
        assert_eq!(resolve(ip("::1"), ["::ffff:192.0.2.5"], &t), ip("192.0.2.5"));
    }

    #[test]
    fn bad_entries_are_reported() {
        let e = vec!["10.0.0.0/8".to_string(), "nonsense".into(), "10.0.0.0/99".into(), "::1".into()];
        assert_eq!(parse_trusted(&e).unwrap_err(), vec!["nonsense".to_string(), "10.0.0.0/99".into()]);
        // A host address with bits set past the prefix is the network it lies in.
        assert!(nets(&["10.1.2.3/8"])[0].contains(&ip("10.200.0.1")));
    }
}
