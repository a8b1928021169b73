using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>Scalar type of the vectors inside the HNSW graph (the SQLite copy and the exact re-scoring stay f32).</summary>
public enum HnswScalar
{
    /// <summary>32-bit floats: exact distances inside the graph, 4 bytes a dimension.</summary>
    F32,

    /// <summary>16-bit floats: half the memory of F32; each distance reads half the bytes.</summary>
    F16,

    /// <summary>8-bit integers (a unit vector's components × 127): a quarter of the memory of F32, coarser distances.</summary>
    I8,
}

/// <summary>
/// A USearch HNSW index over libusearch_c, the native library of the Cloud.Unum.USearch package. The package's
/// managed wrapper has no expansion-search setter and no filtered search, and allocates on every search, so this
/// binds the C API directly (the package's own enums are reused): searches write into caller spans, filtered
/// searches run a managed predicate inside the graph traversal, and batches are added from several threads.
/// Keys are the embedded store's slots. Not thread-safe for structural changes: the caller serialises
/// <see cref="Reserve"/>, <see cref="Add"/>/<see cref="Remove"/> batches and <see cref="Save"/> against searches.
/// </summary>
internal sealed unsafe partial class UsearchIndex : IDisposable
{
    private const string Library = "libusearch_c";
    private readonly SemaphoreSlim _contexts;
    private nint _handle;

    private UsearchIndex(nint handle, int dimension)
    {
        _handle = handle;
        Dimension = dimension;
        // libusearch keeps one search/add context per hardware thread (set by reserve); never run more calls at once.
        Concurrency = Math.Max(1, Environment.ProcessorCount);
        _contexts = new SemaphoreSlim(Concurrency, Concurrency);
    }

    public int Dimension { get; }

    public int Concurrency { get; }

    public static UsearchIndex Create(int dimension, HnswScalar scalar, int connectivity, int expansionAdd, int expansionSearch)
    {
        var options = new InitOptions
        {
            MetricKind = (uint)MetricKind.Ip,
            Quantization = (uint)(scalar switch { HnswScalar.F16 => ScalarKind.Float16, HnswScalar.I8 => ScalarKind.Int8, _ => ScalarKind.Float32 }),
            Dimensions = (nuint)dimension,
            Connectivity = (nuint)connectivity,
            ExpansionAdd = (nuint)expansionAdd,
            ExpansionSearch = (nuint)expansionSearch,
        };
        nint error = 0;
        var handle = usearch_init(ref options, ref error);
        Check(error, "init");
        return new UsearchIndex(handle, dimension);
    }

    /// <summary>Loads a saved index into memory (read-write).</summary>
    public static UsearchIndex Load(string path, int dimension, int expansionSearch)
    {
        var options = default(InitOptions);
        nint error = 0;
        var handle = usearch_init(ref options, ref error);
        Check(error, "init");
        var index = new UsearchIndex(handle, dimension);
        try
        {
            usearch_load(handle, path, ref error);
            Check(error, "load");
            var dimensions = (int)usearch_dimensions(handle, ref error);
            Check(error, "dimensions");
            if (dimensions != dimension)
            {
                throw new InvalidDataException($"The index file has dimension {dimensions}, expected {dimension}.");
            }

            // Reserving also sizes the per-thread contexts that concurrent searches need.
            index.Reserve(index.Count + 1, force: true);
            index.SetExpansionSearch(expansionSearch);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    public int Count
    {
        get
        {
            nint error = 0;
            var size = usearch_size(Handle, ref error);
            Check(error, "size");
            return (int)size;
        }
    }

    public int Capacity
    {
        get
        {
            nint error = 0;
            var capacity = usearch_capacity(Handle, ref error);
            Check(error, "capacity");
            return (int)capacity;
        }
    }

    public long MemoryUsage
    {
        get
        {
            nint error = 0;
            var bytes = usearch_memory_usage(Handle, ref error);
            Check(error, "memory usage");
            return (long)bytes;
        }
    }

    private nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(UsearchIndex));

    /// <summary>Makes room for at least <paramref name="capacity"/> vectors (grows by half again to amortise).</summary>
    public void Reserve(int capacity, bool force = false)
    {
        var current = Capacity;
        if (!force && current >= capacity && current > 0)
        {
            return;
        }

        var target = Math.Max(capacity, Math.Max(1024, current + (current / 2)));
        nint error = 0;
        usearch_reserve(Handle, (nuint)target, ref error);
        Check(error, "reserve");
    }

    public void SetExpansionSearch(int expansion)
    {
        nint error = 0;
        usearch_change_expansion_search(Handle, (nuint)expansion, ref error);
        Check(error, "change expansion search");
    }

    /// <summary>Adds one vector (capacity must have been reserved). Safe to call from up to <see cref="Concurrency"/> threads.</summary>
    public void Add(ulong key, ReadOnlySpan<float> vector)
    {
        _contexts.Wait();
        try
        {
            nint error = 0;
            fixed (float* v = vector)
            {
                usearch_add(Handle, key, v, (uint)ScalarKind.Float32, ref error);
            }

            Check(error, "add");
        }
        finally
        {
            _contexts.Release();
        }
    }

    public bool Remove(ulong key)
    {
        nint error = 0;
        var removed = usearch_remove(Handle, key, ref error);
        Check(error, "remove");
        return removed > 0;
    }

    public bool Contains(ulong key)
    {
        nint error = 0;
        var contains = usearch_contains(Handle, key, ref error);
        Check(error, "contains");
        return contains;
    }

    /// <summary>The nearest keys to <paramref name="query"/>; returns how many were written to <paramref name="keys"/>.</summary>
    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        _contexts.Wait();
        try
        {
            nuint found;
            nint error = 0;
            fixed (float* q = query)
            fixed (ulong* k = keys)
            fixed (float* d = distances)
            {
                found = usearch_search(Handle, q, (uint)ScalarKind.Float32, (nuint)keys.Length, k, d, ref error);
            }

            Check(error, "search");
            return (int)found;
        }
        finally
        {
            _contexts.Release();
        }
    }

    /// <summary>
    /// The nearest keys that pass <paramref name="predicate"/>, evaluated inside the graph traversal (so the search keeps
    /// going until it has enough passing keys, instead of filtering a fixed candidate list afterwards).
    /// </summary>
    public int FilteredSearch(ReadOnlySpan<float> query, Func<ulong, bool> predicate, Span<ulong> keys, Span<float> distances)
    {
        _contexts.Wait();
        var state = GCHandle.Alloc(predicate);
        try
        {
            nuint found;
            nint error = 0;
            fixed (float* q = query)
            fixed (ulong* k = keys)
            fixed (float* d = distances)
            {
                found = usearch_filtered_search(
                    Handle, q, (uint)ScalarKind.Float32, (nuint)keys.Length, &FilterTrampoline, GCHandle.ToIntPtr(state), k, d, ref error);
            }

            Check(error, "filtered search");
            return (int)found;
        }
        finally
        {
            state.Free();
            _contexts.Release();
        }
    }

    /// <summary>Writes the index to <paramref name="path"/> (through a temporary file, then an atomic rename).</summary>
    public void Save(string path)
    {
        var temporary = path + ".tmp";
        nint error = 0;
        usearch_save(Handle, temporary, ref error);
        Check(error, "save");
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            nint error = 0;
            usearch_free(handle, ref error);
        }

        _contexts.Dispose();
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int FilterTrampoline(ulong key, nint state)
    {
        try
        {
            var predicate = (Func<ulong, bool>)GCHandle.FromIntPtr(state).Target!;
            return predicate(key) ? 1 : 0;
        }
        catch (Exception)
        {
            // An exception must not cross into native code: a key whose check failed is left out.
            return 0;
        }
    }

    private static void Check(nint error, string operation)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"USearch {operation} failed: {Marshal.PtrToStringUTF8(error)}");
        }
    }

    /// <summary><c>usearch_init_options_t</c> of the C API (usearch.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct InitOptions
    {
        public uint MetricKind;
        public nint Metric;
        public uint Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        public byte Multi;
    }

    [LibraryImport(Library)]
    private static partial nint usearch_init(ref InitOptions options, ref nint error);

    [LibraryImport(Library)]
    private static partial void usearch_free(nint index, ref nint error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial void usearch_save(nint index, string path, ref nint error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial void usearch_load(nint index, string path, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_size(nint index, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_capacity(nint index, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_dimensions(nint index, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_memory_usage(nint index, ref nint error);

    [LibraryImport(Library)]
    private static partial void usearch_reserve(nint index, nuint capacity, ref nint error);

    [LibraryImport(Library)]
    private static partial void usearch_change_expansion_search(nint index, nuint expansion, ref nint error);

    [LibraryImport(Library)]
    private static partial void usearch_add(nint index, ulong key, float* vector, uint kind, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_remove(nint index, ulong key, ref nint error);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool usearch_contains(nint index, ulong key, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_search(
        nint index, float* query, uint kind, nuint count, ulong* keys, float* distances, ref nint error);

    [LibraryImport(Library)]
    private static partial nuint usearch_filtered_search(
        nint index, float* query, uint kind, nuint count, delegate* unmanaged[Cdecl]<ulong, nint, int> filter, nint state,
        ulong* keys, float* distances, ref nint error);
}
