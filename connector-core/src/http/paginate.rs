//! Pagination as lazy streams: page numbers, next links, keysets, and unpaged lists.
//!
//! The caller supplies an async `fetch` closure for one page; the helpers call it as the
//! stream is polled and yield the items one by one, so only one page is in memory at a
//! time. Every helper guards against endless loops: a cursor, link or key the server
//! already sent, or more than `max_pages` pages, ends the stream with an
//! [`ErrorKind::Upstream`] error instead of a hang.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::Url;

use crate::error::{Error, ErrorKind, Result, RetryClass};

use super::client::HttpClient;

/// The default guard on the number of pages of one listing.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// One page of a cursor-style listing: its items and the cursor of the next page
/// (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items, in server order.
    pub items: Vec<T>,
    /// The next page's cursor, link or key; `None` ends the listing.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page followed by `next`.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Self { items, next }
    }

    /// The last page.
    pub fn last(items: Vec<T>) -> Self {
        Self { items, next: None }
    }
}

/// One page of a page-number listing, with whatever the server said about the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// Total items of the listing (Procountor `meta.totalCount`, Skynamo
    /// `filtered_item_count`, Xero `pagination.itemCount`).
    pub total_items: Option<u64>,
    /// Total pages (Xero `pagination.pageCount`).
    pub total_pages: Option<u64>,
    /// An explicit "more pages follow" flag, which overrides the other rules.
    pub has_more: Option<bool>,
}

impl<T> NumberedPage<T> {
    /// A page with nothing known about the total.
    pub fn new(items: Vec<T>) -> Self {
        Self { items, total_items: None, total_pages: None, has_more: None }
    }

    /// Sets the total number of items.
    pub fn with_total_items(mut self, total: u64) -> Self {
        self.total_items = Some(total);
        self
    }

    /// Sets the total number of pages.
    pub fn with_total_pages(mut self, total: u64) -> Self {
        self.total_pages = Some(total);
        self
    }

    /// Sets whether more pages follow.
    pub fn with_has_more(mut self, more: bool) -> Self {
        self.has_more = Some(more);
        self
    }
}

/// How page numbers run: the first number (0 or 1), the page size requested (a shorter
/// page is the last), and the loop guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumbers {
    first: u64,
    page_size: Option<u64>,
    max_pages: u64,
}

impl PageNumbers {
    /// Pages numbered from 0 (Procountor).
    pub fn zero_based(page_size: u64) -> Self {
        Self { first: 0, page_size: Some(page_size), max_pages: DEFAULT_MAX_PAGES }
    }

    /// Pages numbered from 1 (Xero, Skynamo).
    pub fn one_based(page_size: u64) -> Self {
        Self { first: 1, page_size: Some(page_size), max_pages: DEFAULT_MAX_PAGES }
    }

    /// Does not treat a short page as the last (for servers that cap the size silently);
    /// the listing then ends on an empty page or the totals.
    pub fn ignore_short_pages(mut self) -> Self {
        self.page_size = None;
        self
    }

    /// Sets the loop guard.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = max;
        self
    }

    /// The first page number.
    pub fn first(&self) -> u64 {
        self.first
    }
}

/// Lists by page number: calls `fetch(first)`, `fetch(first + 1)`, ... and stops on an
/// empty page, a page shorter than the page size, the reported totals, or
/// `has_more == false`.
pub fn page_numbers<'a, T, F, Fut>(opts: PageNumbers, mut fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: FnMut(u64) -> Fut + Send + 'a,
    Fut: Future<Output = Result<NumberedPage<T>>> + Send + 'a,
{
    let seen_items = Arc::new(AtomicU64::new(0));
    let step = move |page: Option<u64>| {
        let number = page.unwrap_or(opts.first);
        let fut = fetch(number);
        let seen_items = seen_items.clone();
        async move {
            let page = fut.await?;
            let n = page.items.len() as u64;
            let seen = seen_items.fetch_add(n, Ordering::Relaxed) + n;
            let fetched_pages = number - opts.first + 1;
            let more = match page.has_more {
                Some(more) => more && n > 0,
                None => {
                    n > 0
                        && page.total_pages.is_none_or(|t| fetched_pages < t)
                        && page.total_items.is_none_or(|t| seen < t)
                        && opts.page_size.is_none_or(|s| n >= s)
                }
            };
            Ok(Page { items: page.items, next: more.then_some(number + 1) })
        }
    };
    drive(Some(opts.first), opts.max_pages, step)
}

/// Follows next links: calls `fetch(first)`, then `fetch` on each page's link, resolved by
/// [`HttpClient::resolve`] (absolute like Exact's `__next`, or relative like Salesforce's
/// `nextRecordsUrl`), until a page has no link.
pub fn next_links<'a, T, F, Fut>(
    client: &HttpClient,
    first: Url,
    max_pages: u64,
    mut fetch: F,
) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: FnMut(Url) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, String>>> + Send + 'a,
{
    let client = client.clone();
    let step = move |url: Option<Url>| {
        let fut = url.map(&mut fetch);
        let client = client.clone();
        async move {
            let fut = fut.ok_or_else(|| Error::internal("next_links lost its URL"))?;
            let page = fut.await?;
            let next = match page.next.as_deref().map(str::trim) {
                Some(link) if !link.is_empty() => Some(client.resolve(link)?),
                _ => None,
            };
            Ok(Page { items: page.items, next })
        }
    };
    drive(Some(first), max_pages, step)
}

/// Lists by key: calls `fetch(None)`, then `fetch(Some(key))` with each page's next key
/// (the last id: Procountor `previousId`, AccountView `lastKey`, or an opaque cursor),
/// until a page has no next key.
pub fn keyset<'a, T, K, F, Fut>(max_pages: u64, fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    K: Clone + Eq + Hash + Send + 'a,
    F: FnMut(Option<K>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, K>>> + Send + 'a,
{
    drive(None, max_pages, fetch)
}

/// One call that returns everything (Xero Items), as a stream like the others.
pub fn unpaged<'a, T, Fut>(fetch: Fut) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    Fut: Future<Output = Result<Vec<T>>> + Send + 'a,
{
    stream::once(fetch)
        .flat_map(|r| match r {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(e) => stream::iter([Err(e)]).right_stream(),
        })
        .boxed()
}

struct State<F, T, C> {
    fetch: F,
    cursor: Option<Option<C>>,
    buffer: VecDeque<T>,
    seen: HashSet<C>,
    pages: u64,
}

/// The shared engine: `fetch(cursor)` per page, items yielded one by one, loops guarded.
/// `first` is the first cursor (`None`: the first call gets `None`).
fn drive<'a, T, C, F, Fut>(first: Option<C>, max_pages: u64, fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    C: Clone + Eq + Hash + Send + 'a,
    F: FnMut(Option<C>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'a,
{
    let mut seen = HashSet::new();
    if let Some(c) = &first {
        seen.insert(c.clone());
    }
    let state = State { fetch, cursor: Some(first), buffer: VecDeque::new(), seen, pages: 0 };
    stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            let cursor = st.cursor.take()?;
            if st.pages >= max_pages {
                return Some((Err(guard(format!("more than {max_pages} pages"))), st));
            }
            let page = match (st.fetch)(cursor).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), st)),
            };
            st.pages += 1;
            if let Some(next) = page.next {
                if !st.seen.insert(next.clone()) {
                    let pages = st.pages;
                    return Some((
                        Err(guard(format!("the server repeated a cursor after {pages} pages"))),
                        st,
                    ));
                }
                st.cursor = Some(Some(next));
            }
            st.buffer = page.items.into();
        }
    })
    .boxed()
}

fn guard(what: String) -> Error {
    Error::new(ErrorKind::Upstream, format!("pagination stopped: {what}, which would loop forever"))
        .with_retry_class(RetryClass::Never)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn page_numbers_stop_rules() {
        // short page
        let s = page_numbers(PageNumbers::zero_based(2), |p| async move {
            Ok(NumberedPage::new(match p {
                0 => vec![1, 2],
                1 => vec![3],
                _ => panic!("fetched page {p}"),
            }))
        });
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec![1, 2, 3]);
        // total pages, one-based
        let s = page_numbers(PageNumbers::one_based(2).ignore_short_pages(), |p| async move {
            assert!(p <= 2);
            Ok(NumberedPage::new(vec![p]).with_total_pages(2))
        });
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec![1, 2]);
        // total items
        let s = page_numbers(PageNumbers::one_based(2), |p| async move {
            assert!(p <= 2);
            Ok(NumberedPage::new(vec![p, p]).with_total_items(4))
        });
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec![1, 1, 2, 2]);
        // max pages guard
        let s = page_numbers(PageNumbers::zero_based(1).max_pages(3), |p| async move {
            Ok(NumberedPage::new(vec![p]))
        });
        let all: Vec<Result<u64>> = s.collect().await;
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].as_ref().unwrap_err().kind(), ErrorKind::Upstream);
    }

    #[tokio::test]
    async fn keyset_and_repeats() {
        let s = keyset(10, |k: Option<u32>| async move {
            Ok(match k {
                None => Page::new(vec![1, 2], Some(2)),
                Some(2) => Page::new(vec![3], Some(3)),
                Some(_) => Page::last(vec![]),
            })
        });
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec![1, 2, 3]);
        let s = keyset(10, |_k: Option<u32>| async move { Ok(Page::new(vec![0], Some(7))) });
        let all: Vec<Result<i32>> = s.collect().await;
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[1].as_ref().unwrap_err().message().contains("repeated a cursor"));
    }

    #[tokio::test]
    async fn unpaged_and_errors() {
        let s = unpaged(async { Ok(vec!["a", "b"]) });
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec!["a", "b"]);
        let s = unpaged::<u8, _>(async { Err(Error::decode("bad")) });
        let all: Vec<_> = s.collect().await;
        assert_eq!(all.len(), 1);
    }
}
