//! Launching the server: [`App::open`] prepares storage and email (§1.3 steps 2–3),
//! [`App::serve`] runs it on a bound listener until a shutdown future resolves, and
//! [`start`] does both on a background thread for tests and embedders.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::Config;
use crate::email::{EmailError, EmailSender};
use crate::ratelimit::RateLimiter;
use crate::router::router;
use crate::state::{AppState, Shared};
use crate::store::registry::ProjectStores;
use crate::store::schema::open_server_db;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("open server db: {0}")]
    ServerDb(#[source] StoreError),
    #[error("email: {0}")]
    Email(#[from] EmailError),
    #[error("start server: {0}")]
    Io(#[from] std::io::Error),
    #[error("server thread panicked")]
    Panicked,
}

/// A configured server that has not started listening yet.
pub struct App {
    state: AppState,
}

impl App {
    /// Opens (creating and migrating) server.db and builds the email sender.
    pub fn open(config: Config) -> Result<App, LaunchError> {
        let db = open_server_db(&config.server_db_path).map_err(LaunchError::ServerDb)?;
        let email = EmailSender::new(config.email_provider)?;
        let stores = ProjectStores::new(&config.project_data_dir);
        let state = AppState::new(Shared {
            config,
            db,
            stores,
            limiter: RateLimiter::per_minute(),
            resend: RateLimiter::per_minute(),
            email,
        });
        Ok(App { state })
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests for at most
    /// `SYNC_SHUTDOWN_TIMEOUT` and returns.
    pub async fn serve<F>(
        self,
        listener: tokio::net::TcpListener,
        shutdown: F,
    ) -> Result<(), LaunchError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let timeout = self.state.config.shutdown_timeout;
        let app = router(self.state);
        tracing::info!(addr = %addr, "server started");
        let (stopping_tx, stopping_rx) = oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stopping_tx.send(());
        };
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let deadline = async move {
            match stopping_rx.await {
                Ok(()) => tokio::time::sleep(timeout).await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            res = server => res?,
            () = deadline => tracing::warn!("graceful shutdown timed out; closing connections"),
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Opens the app from `config` and serves on `listener` until `shutdown` resolves.
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: F,
) -> Result<(), LaunchError>
where
    F: Future<Output = ()> + Send + 'static,
{
    App::open(config)?.serve(listener, shutdown).await
}

/// A server running on its own thread and tokio runtime. Dropping it shuts it down.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), LaunchError>>>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A URL that reaches the server: wildcard binds map to the loopback of their family.
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Stops serving and waits for the thread.
    pub fn shutdown(mut self) -> Result<(), LaunchError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), LaunchError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| LaunchError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Err(err) = self.stop_and_join() {
            tracing::warn!(error = %err, "server thread ended with an error");
        }
    }
}

/// Opens the app and serves `listener` (bound by the caller, e.g. to port 0) on a new
/// thread. Storage errors are reported before this returns.
pub fn start(listener: std::net::TcpListener, config: Config) -> Result<ServerHandle, LaunchError> {
    let app = App::open(config)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("td-sync-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                app.serve(listener, async move {
                    let _ = stop_rx.await;
                })
                .await
            })
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}
