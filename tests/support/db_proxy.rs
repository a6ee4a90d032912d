//! A TCP relay in front of the test PostgreSQL server that a test can take down and bring back:
//! down, every open connection is cut and the port refuses new ones (as when the server stops);
//! up, it listens on the same port again. The bot under test connects through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct DbProxy {
    addr: SocketAddr,
    target: SocketAddr,
    /// Bumped at every cut: relays started before it end.
    generation: watch::Sender<u64>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl DbProxy {
    /// A relay on 127.0.0.1 (a free port) to `target`, up.
    pub async fn start(target: SocketAddr) -> Arc<DbProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let proxy = Arc::new(DbProxy {
            addr,
            target,
            generation: watch::channel(0).0,
            listener: Mutex::new(None),
        });
        proxy.listen(listener);
        proxy
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn listen(&self, listener: TcpListener) {
        let target = self.target;
        let generation = self.generation.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut cut = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        *self.listener.lock().unwrap() = Some(task);
    }

    /// Cuts every connection and stops listening: connecting is refused until [`DbProxy::up`].
    pub fn down(&self) {
        if let Some(task) = self.listener.lock().unwrap().take() {
            task.abort();
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Listens again on the same port.
    pub async fn up(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("the proxy cannot listen on {} again: {e}", self.addr),
            }
        };
        self.listen(listener);
    }

    /// `url` (a `postgres://user:pw@host:port/db…` URL) pointed at this relay instead.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let at = rest.rfind('@').map_or(0, |i| i + 1);
        let end = rest[at..].find(['/', '?']).map_or(rest.len(), |i| at + i);
        format!("{scheme}://{}{}{}", &rest[..at], self.addr, &rest[end..])
    }
}

/// The `host:port` of a `postgres://` URL with a numeric host.
pub fn server_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").expect("a URL").1;
    let at = rest.rfind('@').map_or(0, |i| i + 1);
    let end = rest[at..].find(['/', '?']).map_or(rest.len(), |i| at + i);
    rest[at..end]
        .parse()
        .unwrap_or_else(|e| panic!("the test server's URL names host:port ({e})"))
}
