//! `send` against recording servers on 127.0.0.1: redirects and credential dropping, body cap,
//! duplicate headers, and how failures map to `NetError`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use authdoctor_core::model::{BODY_CAP, Header, HeaderList, RequestSpec};
use authdoctor_net::send::{NetError, SendOptions, send};
use support::{resp, serve};

fn get(url: &str) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: url.parse().unwrap(),
        headers: vec![
            Header::new("Authorization", "Bearer s3cr3t-token"),
            Header::new("X-Request-Id", "42"),
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn same_origin_redirect_keeps_authorization() {
    let srv = serve(Arc::new(|s, _| match s.path.as_str() {
        "/a" => resp(302, &[("location", "/b")], ""),
        _ => resp(200, &[], "ok"),
    }))
    .await;
    let hops = send(&get(&srv.url("http", "/a")), &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0].status, 302);
    assert!(hops[0].is_redirect());
    assert_eq!(hops[1].status, 200);
    assert_eq!(hops[1].reason.as_deref(), Some("OK"));
    assert_eq!(hops[1].http_version, "HTTP/1.1");
    assert!(hops[1].request_headers.has("authorization"));
    assert!(hops[1].dropped_headers.is_empty());
    assert_eq!(hops[1].body, b"ok");
    assert_eq!(
        hops[1].remote_addr.as_deref(),
        Some(srv.addr.to_string().as_str())
    );
    assert!(hops[1].received_at.is_some() && hops[1].elapsed_ms.is_some());
    let seen = srv.seen();
    assert_eq!(seen[1].header("authorization"), Some("Bearer s3cr3t-token"));
}

#[tokio::test]
async fn cross_origin_redirect_drops_credentials() {
    let srv = serve(Arc::new(|s, addr| match s.path.as_str() {
        "/a" => resp(
            302,
            &[("location", &format!("http://localhost:{}/b", addr.port()))],
            "",
        ),
        _ => resp(200, &[], "ok"),
    }))
    .await;
    let mut spec = get(&srv.url("http", "/a"));
    spec.headers.push(Header::new("Cookie", "sid=abc"));
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops.len(), 2, "{hops:?}");
    let second = &hops[1];
    assert!(!second.request_headers.has("authorization"));
    assert!(!second.request_headers.has("cookie"));
    assert!(second.request_headers.has("x-request-id"));
    let want = format!(
        "origin changed from http://127.0.0.1:{p} to http://localhost:{p}",
        p = srv.addr.port()
    );
    let names: Vec<_> = second
        .dropped_headers
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["Authorization", "Cookie"]);
    assert!(
        second.dropped_headers.iter().all(|d| d.reason == want),
        "{:?}",
        second.dropped_headers
    );
    let seen = srv.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("authorization"), None);
    assert_eq!(seen[1].header("cookie"), None);

    // --location-trusted keeps them.
    spec.location_trusted = true;
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert!(hops[1].request_headers.has("authorization"));
}

#[tokio::test]
async fn ten_hop_limit() {
    let srv = serve(Arc::new(|s, _| {
        let n: u32 = s.path.trim_start_matches("/loop/").parse().unwrap_or(0);
        resp(302, &[("location", &format!("/loop/{}", n + 1))], "")
    }))
    .await;
    // Still redirecting after the limit: an error (a loop), never "the request succeeded".
    let err = send(&get(&srv.url("http", "/loop/0")), &SendOptions::default())
        .await
        .expect_err("a redirect loop is an error");
    assert!(
        matches!(err, NetError::TooManyRedirects { hops: 10, .. }),
        "{err:?}"
    );
    assert_eq!(srv.seen().len(), 11);
    let small = SendOptions {
        max_hops: 2,
        ..SendOptions::default()
    };
    let err = send(&get(&srv.url("http", "/loop/0")), &small)
        .await
        .expect_err("a redirect loop is an error");
    assert!(err.to_string().contains("redirect loop"), "{err}");
    // A chain that ends within the limit is followed to its end.
    let ends = serve(Arc::new(|s, _| {
        let n: u32 = s.path.trim_start_matches("/c/").parse().unwrap_or(0);
        if n < 10 {
            resp(302, &[("location", &format!("/c/{}", n + 1))], "")
        } else {
            resp(401, &[], "")
        }
    }))
    .await;
    let hops = send(&get(&ends.url("http", "/c/0")), &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops.len(), 11);
    assert_eq!(hops.last().expect("last").status, 401);
}

#[tokio::test]
async fn see_other_turns_post_into_get() {
    let srv = serve(Arc::new(|s, _| match s.path.as_str() {
        "/form" => resp(303, &[("location", "/done")], ""),
        _ => resp(200, &[], "done"),
    }))
    .await;
    let mut spec = get(&srv.url("http", "/form"));
    spec.method = "POST".into();
    spec.body = Some(b"a=1".to_vec());
    spec.headers.push(Header::new(
        "Content-Type",
        "application/x-www-form-urlencoded",
    ));
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0].method, "POST");
    assert_eq!(hops[1].method, "GET");
    assert!(!hops[1].request_headers.has("content-type"));
    assert_eq!(hops[1].dropped_headers[0].name, "Content-Type");
    let seen = srv.seen();
    assert_eq!(seen[0].body, b"a=1");
    assert_eq!(seen[1].method, "GET");
    assert!(seen[1].body.is_empty());
}

#[tokio::test]
async fn post_307_needs_follow_flag() {
    let srv = serve(Arc::new(|s, _| match s.path.as_str() {
        "/a" => resp(307, &[("location", "/b")], ""),
        _ => resp(200, &[], "ok"),
    }))
    .await;
    let mut spec = get(&srv.url("http", "/a"));
    spec.method = "POST".into();
    spec.body = Some(b"x".to_vec());
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops.len(), 1);
    spec.follow_redirects = true;
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[1].method, "POST");
    assert_eq!(srv.seen().last().expect("seen").body, b"x");
}

#[tokio::test]
async fn body_is_capped() {
    let srv = serve(Arc::new(|s, _| match s.path.as_str() {
        "/big" => resp(401, &[], vec![b'x'; BODY_CAP * 2]),
        _ => resp(401, &[], vec![b'y'; BODY_CAP]),
    }))
    .await;
    let hops = send(&get(&srv.url("http", "/big")), &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops[0].body.len(), BODY_CAP);
    assert!(hops[0].body_truncated);
    let hops = send(&get(&srv.url("http", "/exact")), &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops[0].body.len(), BODY_CAP);
    assert!(!hops[0].body_truncated);
}

#[tokio::test]
async fn duplicate_response_headers_are_kept() {
    let srv = serve(Arc::new(|_, _| {
        resp(
            401,
            &[
                ("www-authenticate", "Bearer realm=\"a\""),
                ("www-authenticate", "Basic realm=\"b\""),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
            ],
            "",
        )
    }))
    .await;
    let hops = send(&get(&srv.url("http", "/")), &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops[0].status, 401);
    assert_eq!(hops[0].reason.as_deref(), Some("Unauthorized"));
    assert_eq!(
        hops[0].headers.all("www-authenticate"),
        ["Bearer realm=\"a\"", "Basic realm=\"b\""]
    );
    assert_eq!(hops[0].headers.all("set-cookie"), ["a=1", "b=2"]);
}

#[tokio::test]
async fn connection_refused_is_connect() {
    // A port that was just free: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let err = send(
        &get(&format!("http://127.0.0.1:{port}/")),
        &SendOptions::default(),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, NetError::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), "connect");
    assert_eq!(
        err.to_string(),
        format!("cannot connect to 127.0.0.1:{port}: connection refused")
    );
}

#[tokio::test]
async fn unresolvable_host_is_dns() {
    let err = send(&get("http://nonexistent.invalid/"), &SendOptions::default())
        .await
        .expect_err("dns");
    assert!(
        matches!(err, NetError::Dns { ref host, .. } if host == "nonexistent.invalid"),
        "{err:?}"
    );
}

#[tokio::test]
async fn slow_server_is_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accept and say nothing.
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let opts = SendOptions {
        max_time: Duration::from_millis(300),
        ..SendOptions::default()
    };
    let err = send(&get(&format!("http://{addr}/?access_token=zzz")), &opts)
        .await
        .expect_err("timeout");
    assert!(
        matches!(err, NetError::Timeout { after_ms, .. } if (250..5000).contains(&after_ms)),
        "{err:?}"
    );
    assert!(!err.to_string().contains("zzz"), "{err}");
    task.abort();
}

#[tokio::test]
async fn bad_header_value_is_invalid_request_without_value() {
    let mut spec = get("http://127.0.0.1:9/");
    spec.headers = vec![Header::new("Authorization", "Bearer abc\ndef")];
    let err = send(&spec, &SendOptions::default())
        .await
        .expect_err("invalid");
    assert_eq!(err.kind(), "invalid_request");
    assert!(!err.to_string().contains("abc"), "{err}");
}

#[tokio::test]
async fn url_userinfo_becomes_a_recorded_basic_header() {
    let srv = serve(Arc::new(|_, _| resp(401, &[], ""))).await;
    let spec = RequestSpec {
        method: "GET".into(),
        url: format!("http://alice:p%40ss@{}/x", srv.addr)
            .parse()
            .expect("a valid URL"),
        ..Default::default()
    };
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    // base64("alice:p@ss")
    assert_eq!(
        hops[0].request_headers.first("authorization"),
        Some("Basic YWxpY2U6cEBzcw==")
    );
    assert!(!hops[0].url.contains("alice"));
    assert_eq!(
        srv.seen()[0].header("authorization"),
        Some("Basic YWxpY2U6cEBzcw==")
    );
}

#[tokio::test]
async fn flag_proxy_is_used_and_its_failure_is_proxy() {
    use authdoctor_core::model::{ProxySetting, ProxySource};
    // A "proxy" on 127.0.0.1 that answers every forwarded request itself: the target host is
    // never resolved or contacted.
    let proxy = serve(Arc::new(|_, _| {
        resp(407, &[("proxy-authenticate", "Basic realm=\"p\"")], "")
    }))
    .await;
    let mut spec = get("http://target.invalid/x");
    spec.transport.proxy = Some(ProxySetting {
        url: format!("http://bob:pw@{}", proxy.addr),
        source: ProxySource::Flag,
        env_var: None,
    });
    let hops = send(&spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops[0].status, 407);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("host"), Some("target.invalid"));
    // Credentials from the proxy URL go to the proxy as Proxy-Authorization (base64 "bob:pw").
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic Ym9iOnB3")
    );
    assert_eq!(
        authdoctor_net::send::effective_proxy(&spec).map(|p| p.url),
        Some(format!("http://bob:****@{}/", proxy.addr))
    );

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    spec.transport.proxy = Some(ProxySetting {
        url: format!("http://bob:pw@127.0.0.1:{port}"),
        source: ProxySource::Flag,
        env_var: None,
    });
    let err = send(&spec, &SendOptions::default())
        .await
        .expect_err("proxy down");
    assert!(matches!(err, NetError::Proxy { .. }), "{err:?}");
    assert!(!err.to_string().contains("pw@"), "{err}");
}
