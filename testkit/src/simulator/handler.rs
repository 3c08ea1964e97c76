//! [`SimHandler`]: what a [`SimServer`](super::SimServer) serves.

use std::future::Future;

use async_trait::async_trait;

use super::{SimRequest, SimResponse};

/// Answers simulator requests. A [`Router`](super::Router) is one; so is any
/// `Fn(SimRequest) -> impl Future<Output = SimResponse>` closure; a connector's simulator
/// can implement it on its own type.
#[async_trait]
pub trait SimHandler: Send + Sync {
    /// Answers one request.
    async fn handle(&self, req: SimRequest) -> SimResponse;
}

#[async_trait]
impl<F, Fut> SimHandler for F
where
    F: Fn(SimRequest) -> Fut + Send + Sync,
    Fut: Future<Output = SimResponse> + Send,
{
    async fn handle(&self, req: SimRequest) -> SimResponse {
        (self)(req).await
    }
}
