namespace Maximus.Contracts.Ports;

/// <summary>
/// An optional capability of an <see cref="IVectorStore"/> adapter: a bulk load into one collection (a migration), during
/// which the adapter may defer work that only makes searches faster. Writes are as durable as outside a bulk load, and
/// searches meanwhile return what they would otherwise (the embedded store searches a partition exactly until its HNSW
/// index exists). Disposing the returned handle ends the bulk load; deferred work starts then. Bulk loads may overlap;
/// the deferred work starts when the last one ends. An adapter without anything to defer (Qdrant, which indexes on the
/// server) does not implement it; callers check with <c>store is IVectorBulkLoad</c>.
/// </summary>
public interface IVectorBulkLoad
{
    /// <summary>Starts a bulk load into an existing collection; dispose the handle to end it.</summary>
    IDisposable BeginBulkLoad(string collection);
}
