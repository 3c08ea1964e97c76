//! Sources and sinks of any canonical entity behind one type: what a [`System`](super::System)
//! hands out for an [`EntityKind`] chosen at run time (a CLI argument, a flow file), turned
//! back into a typed `Arc<dyn Source<E>>` where the entity type is known.

use std::fmt;
use std::sync::Arc;

use crate::model::{
    Customer, EntityKind, Invoice, Order, PaymentTerm, PriceList, Product, Shipment, StockLevel,
    TaxRate, User,
};
use crate::sink::{Sink, SinkCapabilities};
use crate::source::{Source, SourceCapabilities};

/// Declares the two enums and their accessors, one variant per entity.
macro_rules! any_endpoints {
    ($($V:ident),* $(,)?) => {
        /// A source of one canonical entity, whichever it is.
        #[non_exhaustive]
        pub enum AnySource {
            $(
                #[doc = concat!("A source of [`", stringify!($V), "`] records.")]
                $V(Arc<dyn Source<$V>>),
            )*
        }

        /// A sink of one canonical entity, whichever it is.
        #[non_exhaustive]
        pub enum AnySink {
            $(
                #[doc = concat!("A sink of [`", stringify!($V), "`] records.")]
                $V(Arc<dyn Sink<$V>>),
            )*
        }

        impl AnySource {
            /// The entity it reads.
            pub fn kind(&self) -> EntityKind {
                match self {
                    $(AnySource::$V(_) => EntityKind::$V,)*
                }
            }

            /// Its name (the system's).
            pub fn name(&self) -> &str {
                match self {
                    $(AnySource::$V(s) => s.name(),)*
                }
            }

            /// Its capabilities, as the source itself reports them.
            pub fn capabilities(&self) -> SourceCapabilities {
                match self {
                    $(AnySource::$V(s) => s.capabilities(),)*
                }
            }
        }

        impl AnySink {
            /// The entity it takes.
            pub fn kind(&self) -> EntityKind {
                match self {
                    $(AnySink::$V(_) => EntityKind::$V,)*
                }
            }

            /// Its name (the system's).
            pub fn name(&self) -> &str {
                match self {
                    $(AnySink::$V(s) => s.name(),)*
                }
            }

            /// Its capabilities, as the sink itself reports them.
            pub fn capabilities(&self) -> SinkCapabilities {
                match self {
                    $(AnySink::$V(s) => s.capabilities(),)*
                }
            }
        }

        $(
            impl From<Arc<dyn Source<$V>>> for AnySource {
                fn from(s: Arc<dyn Source<$V>>) -> Self {
                    AnySource::$V(s)
                }
            }

            impl From<Arc<dyn Sink<$V>>> for AnySink {
                fn from(s: Arc<dyn Sink<$V>>) -> Self {
                    AnySink::$V(s)
                }
            }

            impl Erased for $V {
                fn erase_source(s: Arc<dyn Source<Self>>) -> AnySource {
                    AnySource::$V(s)
                }
                fn typed_source(a: AnySource) -> Option<Arc<dyn Source<Self>>> {
                    match a {
                        AnySource::$V(s) => Some(s),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
                fn erase_sink(s: Arc<dyn Sink<Self>>) -> AnySink {
                    AnySink::$V(s)
                }
                fn typed_sink(a: AnySink) -> Option<Arc<dyn Sink<Self>>> {
                    match a {
                        AnySink::$V(s) => Some(s),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*
    };
}

any_endpoints!(
    Customer,
    Product,
    PriceList,
    StockLevel,
    Invoice,
    Order,
    Shipment,
    TaxRate,
    PaymentTerm,
    User
);

/// The link between a canonical type and its variants of [`AnySource`] and [`AnySink`]; every
/// [`Entity`](crate::Entity) has it.
pub trait Erased: Sized + 'static {
    /// The source behind [`AnySource`].
    fn erase_source(s: Arc<dyn Source<Self>>) -> AnySource;
    /// The typed source, if `a` reads this entity.
    fn typed_source(a: AnySource) -> Option<Arc<dyn Source<Self>>>;
    /// The sink behind [`AnySink`].
    fn erase_sink(s: Arc<dyn Sink<Self>>) -> AnySink;
    /// The typed sink, if `a` takes this entity.
    fn typed_sink(a: AnySink) -> Option<Arc<dyn Sink<Self>>>;
}

impl AnySource {
    /// Type-erases a source.
    pub fn new<E: Erased>(source: Arc<dyn Source<E>>) -> Self {
        E::erase_source(source)
    }

    /// The typed source, if this one reads `E`.
    pub fn typed<E: Erased>(self) -> Option<Arc<dyn Source<E>>> {
        E::typed_source(self)
    }
}

impl AnySink {
    /// Type-erases a sink.
    pub fn new<E: Erased>(sink: Arc<dyn Sink<E>>) -> Self {
        E::erase_sink(sink)
    }

    /// The typed sink, if this one takes `E`.
    pub fn typed<E: Erased>(self) -> Option<Arc<dyn Sink<E>>> {
        E::typed_sink(self)
    }
}

impl fmt::Debug for AnySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnySource({} {})", self.name(), self.kind())
    }
}

impl fmt::Debug for AnySink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnySink({} {})", self.name(), self.kind())
    }
}
