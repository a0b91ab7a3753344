//! Sender-constrained tokens: DPoP (RFC 9449) and mutual-TLS certificate binding (RFC 8705).
//!
//! A token whose claims carry `cnf` is only accepted with its proof of possession:
//!
//! - `cnf.jkt` (DPoP): the request must say `Authorization: DPoP <token>` and carry one
//!   `DPoP: <proof>` header whose key has that RFC 7638 thumbprint; the proof is checked by
//!   [`authdoctor_jose::dpop::verify_proof`] (typ, algorithm allow-list, signature with the
//!   embedded key, `htm`, `htu` against the configured external URL, `iat` window, `ath`), then
//!   its `jti` goes into a bounded replay cache, and, when nonces are on, its `nonce` must be
//!   one this guard issued. The same token sent as `Bearer` is refused (RFC 9449 §7.2).
//! - `cnf.x5t#S256` (mTLS): the SHA-256 of the client certificate the embedding server puts in
//!   the request extensions as a [`ClientCertificate`] must match.
//!
//! DPoP is off unless [`crate::ValidatorBuilder::dpop`] is given a [`DpopConfig`]; then the
//! `DPoP` scheme is accepted (alongside `Bearer`, or alone with [`DpopConfig::required`]) and
//! 401s carry the `WWW-Authenticate: DPoP algs="…"` challenge.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use authdoctor_jose::b64;
use authdoctor_jose::dpop::{self as jdpop, DpopError, ProofExpectations};
use aws_lc_rs::digest;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use http::{HeaderMap, HeaderName};
use url::Url;

use crate::claims::Claims;
use crate::error::Rejection;
use crate::jws::Algorithm;

/// The `DPoP` request header (RFC 9449 §4.1).
pub static DPOP: HeaderName = HeaderName::from_static("dpop");
/// The `DPoP-Nonce` response header (RFC 9449 §8, §9).
pub static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The authentication scheme a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer` (RFC 6750).
    Bearer,
    /// `Authorization: DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// The client certificate of the TLS connection a request came on (RFC 8705), as the embedding
/// server saw it. Insert one into each request's extensions before the guard runs; it holds only
/// the certificate's SHA-256, so build it once per connection and clone it per request.
///
/// With hyper and tokio-rustls, after the handshake:
///
/// ```ignore
/// let cert = tls.get_ref().1.peer_certificates()
///     .and_then(|c| c.first())
///     .map(|leaf| ClientCertificate::from_der(leaf.as_ref()));
/// let svc = hyper::service::service_fn(move |mut req| {
///     if let Some(c) = &cert { req.extensions_mut().insert(c.clone()); }
///     guarded.clone().oneshot(req)
/// });
/// ```
///
/// With axum, `axum::Extension(cert)` on the per-connection router does the same.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClientCertificate {
    sha256: [u8; 32],
}

impl ClientCertificate {
    /// From the DER of the leaf certificate (what rustls' `peer_certificates()[0]` holds).
    pub fn from_der(der: &[u8]) -> Self {
        let d = digest::digest(&digest::SHA256, der);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(d.as_ref());
        ClientCertificate { sha256 }
    }

    /// The RFC 8705 §3.1 thumbprint: base64url(SHA-256(DER)), as in `cnf.x5t#S256`.
    pub fn thumbprint(&self) -> String {
        b64::encode(&self.sha256)
    }
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ClientCertificate")
            .field(&self.thumbprint())
            .finish()
    }
}

/// DPoP settings. Build with [`DpopConfig::new`] and hand it to
/// [`crate::ValidatorBuilder::dpop`].
#[derive(Clone, Debug)]
pub struct DpopConfig {
    base_url: Url,
    required: bool,
    algs: Vec<Algorithm>,
    max_age: i64,
    max_future: i64,
    replay_capacity: usize,
    nonce_lifetime: Option<Duration>,
    max_proof_len: usize,
}

impl DpopConfig {
    /// DPoP accepted alongside Bearer, for an API that clients reach at `base_url` — the
    /// external scheme, host, port and path prefix, as clients put it in a proof's `htu`. The
    /// guard may sit behind a proxy or load balancer, so the URL it is reached at is given here,
    /// never read from `Host` or forwarding headers. A request's `htu` is `base_url` (without a
    /// trailing `/`) followed by the request path.
    ///
    /// Defaults: algorithms ES256, EdDSA, RS256, PS256; `iat` accepted from 60 s in the past to
    /// 5 s in the future; a replay cache of 100 000 `jti`s; no server nonces.
    pub fn new(base_url: Url) -> Self {
        DpopConfig {
            base_url,
            required: false,
            algs: vec![
                Algorithm::ES256,
                Algorithm::EdDSA,
                Algorithm::RS256,
                Algorithm::PS256,
            ],
            max_age: 60,
            max_future: 5,
            replay_capacity: 100_000,
            nonce_lifetime: None,
            max_proof_len: 8 * 1024,
        }
    }

    /// Refuse the Bearer scheme altogether: only DPoP-bound tokens, with proofs.
    pub fn required(mut self, on: bool) -> Self {
        self.required = on;
        self
    }

    /// The proof algorithms accepted and advertised in the challenge's `algs` (asymmetric only;
    /// HS* are ignored).
    pub fn algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.algs = algs.iter().copied().filter(|a| !a.is_hmac()).collect();
        self
    }

    /// How old (`past`) and how far ahead of the guard's clock (`future`) a proof's `iat` may be.
    /// The replay cache remembers each `jti` for `past + future`.
    pub fn iat_window(mut self, past: Duration, future: Duration) -> Self {
        self.max_age = i64::try_from(past.as_secs()).unwrap_or(i64::MAX / 4);
        self.max_future = i64::try_from(future.as_secs()).unwrap_or(i64::MAX / 4);
        self
    }

    /// How many `jti`s the replay cache holds at most. When it is full of proofs still inside
    /// their `iat` window, new proofs are refused with 503 (fail closed) until some age out.
    pub fn replay_capacity(mut self, n: usize) -> Self {
        self.replay_capacity = n.max(1);
        self
    }

    /// Require server nonces (RFC 9449 §9): a proof without a nonce this guard issued within the
    /// last `lifetime` (to twice that) is answered `401 use_dpop_nonce` with a fresh
    /// `DPoP-Nonce`. Nonces are stateless (an HMAC of the time slot under a key made at start),
    /// so several guard instances do not share them.
    pub fn require_nonce(mut self, lifetime: Duration) -> Self {
        self.nonce_lifetime = Some(lifetime.max(Duration::from_secs(1)));
        self
    }

    /// Longest accepted `DPoP` header (default 8 KiB).
    pub fn max_proof_len(mut self, n: usize) -> Self {
        self.max_proof_len = n;
        self
    }
}

/// The built DPoP state shared by every clone of a validator.
pub(crate) struct DpopState {
    pub(crate) required: bool,
    algs: Vec<Algorithm>,
    /// The algorithms as the challenge's `algs` value.
    pub(crate) algs_param: String,
    base: String,
    max_age: i64,
    max_future: i64,
    max_proof_len: usize,
    replay: ReplayCache,
    nonces: Option<NonceIssuer>,
}

impl std::fmt::Debug for DpopState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopState")
            .field("required", &self.required)
            .field("algs", &self.algs_param)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl DpopState {
    pub(crate) fn new(c: DpopConfig) -> Result<Self, String> {
        if !matches!(c.base_url.scheme(), "http" | "https") || c.base_url.host().is_none() {
            return Err(format!(
                "the DPoP base URL {} is not an absolute http(s) URL",
                c.base_url
            ));
        }
        if c.base_url.query().is_some() || c.base_url.fragment().is_some() {
            return Err("the DPoP base URL must not have a query or fragment".into());
        }
        if c.algs.is_empty() {
            return Err("no DPoP proof algorithm is allowed".into());
        }
        let nonces = match c.nonce_lifetime {
            Some(l) => Some(NonceIssuer::new(l.as_secs())?),
            None => None,
        };
        Ok(DpopState {
            required: c.required,
            algs_param: c
                .algs
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(" "),
            algs: c.algs,
            base: c.base_url.as_str().trim_end_matches('/').to_owned(),
            max_age: c.max_age,
            max_future: c.max_future,
            max_proof_len: c.max_proof_len,
            replay: ReplayCache::new(c.replay_capacity),
            nonces,
        })
    }

    /// A nonce to hand out now (`DPoP-Nonce`), when nonces are on.
    pub(crate) fn fresh_nonce(&self, now: i64) -> Option<String> {
        self.nonces.as_ref().map(|n| n.issue(now))
    }

    /// RFC 9449 §7.1 and §4.3 for one request: the proof in `headers` is valid for this method
    /// and path, signed by the key `claims.cnf.jkt` names, bound to `token`, fresh, and new.
    pub(crate) fn check(
        &self,
        token: &str,
        claims: &Claims,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        now: i64,
    ) -> Result<(), Rejection> {
        let jkt = claims
            .cnf
            .as_ref()
            .and_then(|c| c.jkt.as_deref())
            .ok_or(Rejection::TokenNotDpopBound)?;
        let mut all = headers.get_all(&DPOP).iter();
        let value = all
            .next()
            .ok_or(Rejection::DpopHeader("no DPoP proof header"))?;
        if all.next().is_some() {
            return Err(Rejection::DpopHeader("more than one DPoP header"));
        }
        if value.len() > self.max_proof_len {
            return Err(Rejection::DpopHeader(
                "the DPoP header is over the size limit",
            ));
        }
        let proof = value
            .to_str()
            .map_err(|_| Rejection::DpopHeader("the DPoP header is not visible ASCII"))?;
        let htu = format!("{}{}", self.base, path);
        let expect = ProofExpectations {
            htm: method,
            htu: &htu,
            now,
            max_age_secs: self.max_age,
            max_future_secs: self.max_future,
            access_token: Some(token),
            jkt: Some(jkt),
            nonce: None,
            algs: &self.algs,
        };
        let verified = jdpop::verify_proof(proof, &expect).map_err(|e| match e {
            // RFC 9449 §7.1: a proof key that is not the token's is a token problem
            // (`invalid_token`, "Invalid DPoP key binding" in the RFC's example).
            DpopError::JktMismatch { .. } => Rejection::DpopKeyMismatch,
            other => Rejection::DpopProof(other),
        })?;
        if let Some(n) = &self.nonces {
            let ok = verified
                .nonce
                .as_deref()
                .is_some_and(|v| n.is_valid(v, now));
            if !ok {
                return Err(Rejection::UseDpopNonce);
            }
        }
        let iat = verified.iat.unwrap_or(now);
        let jti = verified.jti.as_deref().unwrap_or_default();
        // Remember the jti until its proof would be refused as too old anyway.
        self.replay
            .insert(jkt, jti, iat.saturating_add(self.max_age), now)
    }
}

/// Seen `jti`s (per proof key), each kept until its proof's `iat` window closes, at most
/// `capacity` of them. A `Mutex` around a map and an insertion-ordered queue: one short critical
/// section per DPoP request (hash a 16-byte key, push, pop the expired head).
struct ReplayCache {
    capacity: usize,
    inner: Mutex<ReplayInner>,
}

#[derive(Default)]
struct ReplayInner {
    seen: HashMap<u128, i64>,
    order: VecDeque<(i64, u128)>,
}

impl ReplayCache {
    fn new(capacity: usize) -> Self {
        ReplayCache {
            capacity,
            inner: Mutex::new(ReplayInner::default()),
        }
    }

    /// Records (`jkt`, `jti`) until `expires`; refuses one already recorded and unexpired.
    fn insert(&self, jkt: &str, jti: &str, expires: i64, now: i64) -> Result<(), Rejection> {
        // A fixed-size digest, so a hostile jti of any length costs 16 bytes of memory.
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(jkt.as_bytes());
        ctx.update(&[0]);
        ctx.update(jti.as_bytes());
        let d = ctx.finish();
        let key = u128::from_be_bytes(d.as_ref()[..16].try_into().expect("16 bytes"));

        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let ReplayInner { seen, order } = &mut *g;
        // Drop expired entries from the head. Expiry is nearly insertion-ordered (iat within a
        // small window), so the head is where they are; a straggler goes at the next pass.
        while let Some(&(exp, k)) = order.front() {
            if exp >= now && order.len() < self.capacity {
                break;
            }
            if exp >= now {
                // Full of live entries: fail closed rather than forget one that could be
                // replayed.
                return Err(Rejection::DpopReplayCacheFull);
            }
            order.pop_front();
            if seen.get(&k) == Some(&exp) {
                seen.remove(&k);
            }
        }
        if let Some(&exp) = seen.get(&key)
            && exp >= now
        {
            return Err(Rejection::DpopReplay);
        }
        seen.insert(key, expires);
        order.push_back((expires, key));
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().map(|g| g.seen.len()).unwrap_or(0)
    }
}

/// Stateless server nonces: `base64url(slot || HMAC-SHA256(key, slot))`, where `slot` is the
/// current time divided by the lifetime. The current and the previous slot are accepted.
struct NonceIssuer {
    key: hmac::Key,
    lifetime: i64,
}

impl NonceIssuer {
    fn new(lifetime: u64) -> Result<Self, String> {
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| "no randomness for the DPoP nonce key".to_string())?;
        Ok(NonceIssuer {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            lifetime: i64::try_from(lifetime).unwrap_or(i64::MAX).max(1),
        })
    }

    fn for_slot(&self, slot: i64) -> String {
        let s = slot.to_be_bytes();
        let tag = hmac::sign(&self.key, &s);
        let mut b = Vec::with_capacity(40);
        b.extend_from_slice(&s);
        b.extend_from_slice(tag.as_ref());
        b64::encode(&b)
    }

    fn issue(&self, now: i64) -> String {
        self.for_slot(now.div_euclid(self.lifetime))
    }

    fn is_valid(&self, nonce: &str, now: i64) -> bool {
        let mut buf = [0u8; 40];
        let Ok(40) = b64::decode_slice(nonce, &mut buf, "nonce") else {
            return false;
        };
        let slot = i64::from_be_bytes(buf[..8].try_into().expect("8 bytes"));
        let cur = now.div_euclid(self.lifetime);
        (slot == cur || slot == cur - 1) && hmac::verify(&self.key, &buf[..8], &buf[8..]).is_ok()
    }
}

/// RFC 8705 §3: a certificate-bound token is accepted only over a connection whose client
/// certificate has the token's `x5t#S256`.
pub(crate) fn check_certificate(
    claims: &Claims,
    cert: Option<&ClientCertificate>,
) -> Result<(), Rejection> {
    let Some(want) = claims.cnf.as_ref().and_then(|c| c.x5t_s256.as_deref()) else {
        return Ok(());
    };
    match cert {
        None => Err(Rejection::CertificateMissing),
        Some(c) if c.thumbprint() == want => Ok(()),
        Some(_) => Err(Rejection::CertificateMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_cache_refuses_repeats_and_forgets_expired() {
        let c = ReplayCache::new(3);
        assert_eq!(c.insert("k", "a", 100, 50), Ok(()));
        assert_eq!(c.insert("k", "a", 100, 60), Err(Rejection::DpopReplay));
        // The same jti under another key is another proof.
        assert_eq!(c.insert("k2", "a", 100, 60), Ok(()));
        assert_eq!(c.insert("k", "b", 110, 60), Ok(()));
        // Full of live entries: fail closed.
        assert_eq!(
            c.insert("k", "c", 120, 60),
            Err(Rejection::DpopReplayCacheFull)
        );
        // Once the first two expire they make room.
        assert_eq!(c.insert("k", "c", 120, 105), Ok(()));
        assert_eq!(c.len(), 2);
        // An expired jti may come back (its proof would be refused by iat anyway).
        assert_eq!(c.insert("k", "a", 200, 150), Ok(()));
    }

    #[test]
    fn replay_cache_is_shared_across_threads() {
        let c = std::sync::Arc::new(ReplayCache::new(10_000));
        let ok: usize = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    (0..500)
                        .filter(|i| c.insert("k", &i.to_string(), 100, 0).is_ok())
                        .count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(ok, 500, "each jti accepted exactly once");
    }

    #[test]
    fn nonces_rotate() {
        let n = NonceIssuer::new(300).unwrap();
        let a = n.issue(1_000);
        assert!(n.is_valid(&a, 1_000));
        assert!(
            n.is_valid(&a, 1_000 + 300),
            "the previous slot is still good"
        );
        assert!(!n.is_valid(&a, 1_000 + 600));
        assert!(!n.is_valid("AAAA", 1_000));
        let other = NonceIssuer::new(300).unwrap();
        assert!(!other.is_valid(&a, 1_000), "another instance's nonce");
    }
}
