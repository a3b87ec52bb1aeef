//! [`ChunkSource`]: where a streamed card's text comes from (a driver file: the stream
//! driver awaits it; the core's [`super::CardStream`] is handed each chunk).

use crate::runtime::BoxFuture;

/// An async source of text chunks: `None` at the end, `Err(message)` if it failed.
pub trait ChunkSource: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// The next chunk.
    fn next(&self) -> BoxFuture<'static, Option<std::result::Result<String, String>>>;
}
