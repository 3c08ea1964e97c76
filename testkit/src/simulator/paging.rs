//! [`Page`]: one page of a list, cut by page number, offset or count.

/// Whether page numbers start at 0 (Procountor) or 1 (Xero, Skynamo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageBase {
    /// The first page is page 0.
    Zero,
    /// The first page is page 1.
    One,
}

/// One page of items, with what an envelope needs to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items there are across all pages.
    pub total: usize,
    /// How many items come before this page.
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// Whether items follow this page.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Page `number` of `limit` items; a number before the first page gives the first page.
    pub fn by_number(items: Vec<T>, number: u64, limit: usize, base: PageBase) -> Self {
        let first = match base {
            PageBase::Zero => 0,
            PageBase::One => 1,
        };
        let index = usize::try_from(number.saturating_sub(first)).unwrap_or(usize::MAX);
        Self::by_offset(items, index.saturating_mul(limit), limit)
    }

    /// The `limit` items after the first `offset`.
    pub fn by_offset(items: Vec<T>, offset: usize, limit: usize) -> Self {
        let total = items.len();
        let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
        let has_more = offset.saturating_add(page.len()) < total;
        Page { items: page, total, offset, limit, has_more }
    }

    /// The first `limit` items (keyset paging, after the caller dropped what came before).
    pub fn first(items: Vec<T>, limit: usize) -> Self {
        Self::by_offset(items, 0, limit)
    }

    /// How many pages of `limit` items the whole list fills (0 when it is empty).
    pub fn page_count(&self) -> usize {
        if self.limit == 0 { 0 } else { self.total.div_ceil(self.limit) }
    }

    /// The page's number counted from `base`.
    pub fn number(&self, base: PageBase) -> usize {
        let index = self.offset.checked_div(self.limit).unwrap_or(0);
        match base {
            PageBase::Zero => index,
            PageBase::One => index + 1,
        }
    }

    /// The same page with every item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            limit: self.limit,
            has_more: self.has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_pages() {
        let items: Vec<u32> = (1..=7).collect();
        let p = Page::by_number(items.clone(), 2, 3, PageBase::One);
        assert_eq!((p.items.as_slice(), p.total, p.has_more), (&[4, 5, 6][..], 7, true));
        assert_eq!((p.page_count(), p.number(PageBase::One), p.number(PageBase::Zero)), (3, 2, 1));
        let last = Page::by_number(items.clone(), 2, 3, PageBase::Zero);
        assert_eq!((last.items.as_slice(), last.has_more), (&[7][..], false));
        let beyond = Page::by_offset(items.clone(), 10, 3);
        assert!(beyond.items.is_empty() && !beyond.has_more);
        assert_eq!(Page::by_number(items, 0, 3, PageBase::One).items, vec![1, 2, 3]);
    }
}
