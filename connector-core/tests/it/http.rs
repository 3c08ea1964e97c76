//! HTTP layer tests (wiremock, paused clock).
