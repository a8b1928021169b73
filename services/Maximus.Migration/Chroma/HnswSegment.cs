using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Microsoft.Win32.SafeHandles;

namespace Maximus.Migration.Chroma;

/// <summary>
/// One persisted Chroma vector segment (the folder <c>&lt;segment id&gt;/</c> next to <c>chroma.sqlite3</c>), read-only and
/// validated before use. Chroma's hnswlib fork writes four files:
/// <list type="bullet">
/// <item><c>header.bin</c>: int32 persistence version (1), then offsetLevel0, capacity, element count, bytes per element,
/// label offset, vector offset (size_t each), int32 max level, uint32 entry point, maxM, maxM0, M (size_t), double mult,
/// size_t ef_construction — 100 bytes, little-endian.</item>
/// <item><c>data_level0.bin</c>: per element (internal id order) a uint32 whose low 16 bits count the level-0 links and
/// whose bit 16 marks the element deleted, maxM0 uint32 links, the vector (float32 × dimension), the label (size_t).
/// Written for the whole capacity at creation and extended element by element after a resize.</item>
/// <item><c>length.bin</c>: per element the float32 norm of the vector as given (cosine: the stored vector is normalised).</item>
/// <item><c>link_lists.bin</c>: per element a uint32 byte count and the upper-level link lists (checked only for size).</item>
/// </list>
/// and <c>index_metadata.pickle</c> (<see cref="SafePickle"/>): <c>id_to_label</c>, <c>label_to_id</c>,
/// <c>total_elements_added</c>, <c>dimensionality</c> and, before Chroma 1.x, <c>max_seq_id</c>.
/// </summary>
internal sealed class HnswSegment : IDisposable
{
    public const string HeaderFile = "header.bin";
    public const string DataFile = "data_level0.bin";
    public const string LengthFile = "length.bin";
    public const string LinksFile = "link_lists.bin";
    public const string PickleFile = "index_metadata.pickle";
    private const int HeaderSize = 100;
    private const uint DeletedFlag = 0x10000;

    private readonly SafeFileHandle _data;
    private readonly Dictionary<string, long> _idToInternal;
    private readonly float[]? _lengths;
    private readonly long _stride;
    private readonly long _vectorOffset;

    private HnswSegment(string folder, SafeFileHandle data, int dimension, Dictionary<string, long> idToInternal, float[]? lengths, long stride, long vectorOffset, long? pickleMaxSeqId, bool pythonPickle)
    {
        Folder = folder;
        _data = data;
        Dimension = dimension;
        _idToInternal = idToInternal;
        _lengths = lengths;
        _stride = stride;
        _vectorOffset = vectorOffset;
        PickleMaxSeqId = pickleMaxSeqId;
        WrittenByPython = pythonPickle;
    }

    public string Folder { get; }

    public int Dimension { get; }

    /// <summary>The segment's <c>max_seq_id</c> as its pickle records it (Chroma before 1.x), or null.</summary>
    public long? PickleMaxSeqId { get; }

    /// <summary>The pickle is a Python <c>PersistentData</c> object (Chroma 0.4-0.6) rather than a plain dict (Chroma 1.x).</summary>
    public bool WrittenByPython { get; }

    public int Count => _idToInternal.Count;

    public bool Contains(string id) => _idToInternal.ContainsKey(id);

    /// <summary>
    /// The vector Chroma serves for <paramref name="id"/>: the stored one, times its stored norm when the index normalises
    /// (cosine) — the same float32 multiplication hnswlib's getDataByLabel does.
    /// </summary>
    public float[] Read(string id)
    {
        var element = _idToInternal[id];
        var bytes = new byte[Dimension * 4];
        var read = RandomAccess.Read(_data, bytes, element * _stride + _vectorOffset);
        if (read != bytes.Length)
        {
            throw new ChromaSourceException($"{Path.Combine(Folder, DataFile)}: element {element} ends early (file changed while reading?).");
        }

        var vector = new float[Dimension];
        var length = _lengths is null ? 1f : _lengths[element];
        for (var i = 0; i < vector.Length; i++)
        {
            var value = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            vector[i] = _lengths is null ? value : value * length;
        }

        return vector;
    }

    public void Dispose() => _data.Dispose();

    /// <summary>
    /// Opens the segment folder. Returns null when it holds no persisted vectors yet (no pickle and an empty or absent
    /// header — Chroma's state before its first flush). Throws <see cref="ChromaSourceException"/> naming the file and the
    /// check that failed for anything truncated or inconsistent.
    /// </summary>
    public static HnswSegment? Open(string folder, int? expectedDimension, bool normalized)
    {
        var headerPath = Path.Combine(folder, HeaderFile);
        var picklePath = Path.Combine(folder, PickleFile);
        var hasPickle = File.Exists(picklePath);
        if (!File.Exists(headerPath))
        {
            return hasPickle
                ? throw Refuse(headerPath, "check 'files present': index_metadata.pickle exists but header.bin does not.")
                : null;
        }

        var header = ReadHeader(headerPath);
        if (!hasPickle)
        {
            return header.Elements == 0
                ? null
                : throw Refuse(picklePath, Invariant($"check 'id map present': header.bin counts {header.Elements} element(s) but the folder has no index_metadata.pickle, so their ids are unknown."));
        }

        if (expectedDimension is { } dim && dim != header.Dimension)
        {
            throw Refuse(headerPath, Invariant($"check 'dimension': vectors of {header.Dimension} float32 values, the collection's dimension is {dim}."));
        }

        var map = ReadPickle(picklePath, header.Dimension);
        foreach (var name in new[] { DataFile, LengthFile, LinksFile })
        {
            if (!File.Exists(Path.Combine(folder, name)))
            {
                throw Refuse(Path.Combine(folder, name), "check 'files present': the file is missing.");
            }
        }

        var dataPath = Path.Combine(folder, DataFile);
        var data = File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            CheckSize(dataPath, RandomAccess.GetLength(data), header.Capacity, header.Elements, header.Stride);
            var idToInternal = ScanElements(dataPath, data, header, map);
            CheckLinkLists(Path.Combine(folder, LinksFile), header);
            var lengths = normalized ? ReadLengths(Path.Combine(folder, LengthFile), header) : null;
            return new HnswSegment(folder, data, header.Dimension, idToInternal, lengths, (long)header.Stride, header.VectorOffset, map.MaxSeqId, map.Python);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    private static Header ReadHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize)
        {
            throw Refuse(path, Invariant($"check 'header size': {bytes.Length} bytes, a Chroma hnswlib header has {HeaderSize} (truncated)."));
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (version != 1)
        {
            throw Refuse(path, Invariant($"check 'persistence version': {version}, only version 1 (chroma-hnswlib) is known."));
        }

        ulong U(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
        var h = new Header(
            OffsetLevel0: U(4), Capacity: U(12), Elements: U(20), Stride: U(28), LabelOffset: U(36), VectorOffsetRaw: U(44),
            MaxLevel: BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(52)), EntryPoint: BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(56)),
            MaxM: U(60), MaxM0: U(68), M: U(76));
        string? problem =
            h.OffsetLevel0 != 0 ? Invariant($"offsetLevel0 is {h.OffsetLevel0}, expected 0")
            : h.Elements > h.Capacity ? Invariant($"element count {h.Elements} exceeds the capacity {h.Capacity}")
            : h.MaxM == 0 || h.M == 0 || h.MaxM0 < h.MaxM || h.MaxM0 > 1_000_000 ? Invariant($"link sizes M={h.M}, maxM={h.MaxM}, maxM0={h.MaxM0} are impossible")
            : h.VectorOffsetRaw != 4 + (h.MaxM0 * 4) ? Invariant($"the vector offset {h.VectorOffsetRaw} is not 4 + 4 × maxM0 ({4 + (h.MaxM0 * 4)})")
            : h.LabelOffset <= h.VectorOffsetRaw || (h.LabelOffset - h.VectorOffsetRaw) % 4 != 0 || (h.LabelOffset - h.VectorOffsetRaw) / 4 > 1_000_000
                ? Invariant($"the label offset {h.LabelOffset} leaves no whole float32 vector after the vector offset {h.VectorOffsetRaw}")
            : h.Stride != h.LabelOffset + 8 ? Invariant($"the element size {h.Stride} is not the label offset + 8 ({h.LabelOffset + 8})")
            : h.Elements > 0 && (h.EntryPoint >= h.Elements || h.MaxLevel < 0) ? Invariant($"the entry point {h.EntryPoint} / max level {h.MaxLevel} do not fit {h.Elements} element(s)")
            : h.Capacity > (ulong)long.MaxValue / Math.Max(1UL, h.Stride) ? Invariant($"the capacity {h.Capacity} is impossible")
            : null;
        return problem is null ? h : throw Refuse(path, $"check 'header fields': {problem}.");
    }

    private static void CheckSize(string path, long actual, ulong capacity, ulong elements, ulong stride)
    {
        // The file is written for the whole capacity when the index is created; after a resize it grows element by
        // element, so it then ends with the last element (a capacity lowered on reload leaves it longer). Shorter than
        // the capacity yet not ending at the last element, or not whole elements, is a truncated file.
        var full = (long)(capacity * stride);
        var used = (long)(elements * stride);
        if (actual != full && actual != used && !(actual > full && actual % (long)stride == 0))
        {
            throw Refuse(path, Invariant(
                $"check 'file length vs element count': {actual} bytes, expected {full} (capacity {capacity} × {stride} bytes per element) or {used} ({elements} element(s) × {stride}) — the file is truncated or not this index's."));
        }
    }

    private static Dictionary<string, long> ScanElements(string path, SafeFileHandle data, Header header, IdMap map)
    {
        var idToInternal = new Dictionary<string, long>(map.IdToLabel.Count, StringComparer.Ordinal);
        var seen = new HashSet<ulong>();
        var stride = (int)header.Stride;
        var perChunk = Math.Max(1, (4 << 20) / stride);
        var buffer = new byte[perChunk * stride];
        for (ulong start = 0; start < header.Elements; start += (ulong)perChunk)
        {
            var count = (int)Math.Min((ulong)perChunk, header.Elements - start);
            var span = buffer.AsSpan(0, count * stride);
            if (RandomAccess.Read(data, span, (long)(start * header.Stride)) != span.Length)
            {
                throw Refuse(path, Invariant($"check 'file length vs element count': elements from {start} on cannot be read."));
            }

            for (var i = 0; i < count; i++)
            {
                var element = start + (ulong)i;
                var record = span.Slice(i * stride, stride);
                var flags = BinaryPrimitives.ReadUInt32LittleEndian(record);
                var links = flags & 0xFFFF;
                if (links > header.MaxM0)
                {
                    throw Refuse(path, Invariant($"check 'level-0 links': element {element} has {links} links, at most maxM0 = {header.MaxM0}."));
                }

                for (var l = 0; l < links; l++)
                {
                    var target = BinaryPrimitives.ReadUInt32LittleEndian(record[(4 + (l * 4))..]);
                    if (target >= header.Elements)
                    {
                        throw Refuse(path, Invariant($"check 'level-0 links': element {element} links to element {target}, only {header.Elements} exist."));
                    }
                }

                var label = BinaryPrimitives.ReadUInt64LittleEndian(record[(int)header.LabelOffset..]);
                if (!seen.Add(label))
                {
                    throw Refuse(path, Invariant($"check 'unique labels': label {label} appears twice (element {element})."));
                }

                if ((flags & DeletedFlag) != 0)
                {
                    continue;
                }

                if (!map.LabelToId.TryGetValue(label, out var id))
                {
                    throw Refuse(path, Invariant($"check 'label has an id': element {element} has label {label}, which index_metadata.pickle maps to no id."));
                }

                idToInternal[id] = (long)element;
            }
        }

        if (idToInternal.Count != map.IdToLabel.Count)
        {
            var missing = map.IdToLabel.Keys.First(id => !idToInternal.ContainsKey(id));
            throw Refuse(path, Invariant(
                $"check 'every id has an element': index_metadata.pickle maps {map.IdToLabel.Count} id(s) but {idToInternal.Count} live element(s) carry their labels (e.g. '{missing}', label {map.IdToLabel[missing]}, has none)."));
        }

        return idToInternal;
    }

    private static void CheckLinkLists(string path, Header header)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var perLevel = 4 + (header.MaxM * 4);
        Span<byte> size = stackalloc byte[4];
        for (ulong element = 0; element < header.Elements; element++)
        {
            if (stream.Read(size) != 4)
            {
                throw Refuse(path, Invariant($"check 'file length vs element count': the file ends at element {element} of {header.Elements} (truncated)."));
            }

            var bytes = BinaryPrimitives.ReadUInt32LittleEndian(size);
            if (bytes % perLevel != 0 || bytes / perLevel > (ulong)Math.Max(0, header.MaxLevel) || stream.Position + (long)bytes > stream.Length)
            {
                throw Refuse(path, Invariant($"check 'upper-level links': element {element} declares {bytes} bytes, not a whole number of levels ≤ {header.MaxLevel} within the file."));
            }

            stream.Seek(bytes, SeekOrigin.Current);
        }
    }

    private static float[] ReadLengths(string path, Header header)
    {
        var bytes = File.ReadAllBytes(path);
        if ((ulong)bytes.Length != header.Capacity * 4 && (ulong)bytes.Length < header.Elements * 4)
        {
            throw Refuse(path, Invariant($"check 'file length vs element count': {bytes.Length} bytes, {header.Elements} element(s) need {header.Elements * 4}."));
        }

        var lengths = new float[header.Elements];
        for (var i = 0; i < lengths.Length; i++)
        {
            lengths[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            if (!float.IsFinite(lengths[i]) || lengths[i] < 0)
            {
                throw Refuse(path, Invariant($"check 'norms': element {i} has the norm {lengths[i]}."));
            }
        }

        return lengths;
    }

    private static IdMap ReadPickle(string path, int dimension)
    {
        object? value;
        try
        {
            value = SafePickle.Read(File.ReadAllBytes(path));
        }
        catch (PickleFormatException ex)
        {
            throw Refuse(path, $"check 'pickle subset': {ex.Message}");
        }

        var (state, python) = value switch
        {
            Dictionary<object, object?> d => (d, false),
            PickleObject o => (o.State, true),
            _ => throw Refuse(path, $"check 'pickle content': the pickle holds {Describe(value)}, not Chroma's id map (a dict)."),
        };
        if (state.GetValueOrDefault("id_to_label") is not Dictionary<object, object?> idToLabel
            || state.GetValueOrDefault("label_to_id") is not Dictionary<object, object?> labelToId)
        {
            throw Refuse(path, "check 'pickle content': no id_to_label / label_to_id dicts.");
        }

        if (state.GetValueOrDefault("dimensionality") is long dim && dim != dimension)
        {
            throw Refuse(path, Invariant($"check 'dimension': dimensionality {dim}, header.bin says {dimension}."));
        }

        var ids = new Dictionary<string, ulong>(idToLabel.Count, StringComparer.Ordinal);
        foreach (var (k, v) in idToLabel)
        {
            if (k is not string id || v is not long label || label < 0)
            {
                throw Refuse(path, $"check 'pickle content': id_to_label maps {Describe(k)} to {Describe(v)} (expected string → label).");
            }

            ids[id] = (ulong)label;
        }

        var labels = new Dictionary<ulong, string>(labelToId.Count);
        foreach (var (k, v) in labelToId)
        {
            if (k is not long label || label < 0 || v is not string id)
            {
                throw Refuse(path, $"check 'pickle content': label_to_id maps {Describe(k)} to {Describe(v)} (expected label → string).");
            }

            if (!ids.TryGetValue(id, out var back) || back != (ulong)label)
            {
                throw Refuse(path, Invariant($"check 'id map consistency': label_to_id maps {label} to '{id}', but id_to_label does not map '{id}' back to {label}."));
            }

            labels[(ulong)label] = id;
        }

        if (labels.Count != ids.Count)
        {
            throw Refuse(path, Invariant($"check 'id map consistency': id_to_label has {ids.Count} entries, label_to_id {labels.Count}."));
        }

        long? maxSeqId = state.GetValueOrDefault("max_seq_id") switch
        {
            long l => l,
            BigInteger b when b <= long.MaxValue && b >= 0 => (long)b,
            byte[] { Length: 8 } b => (long)BinaryPrimitives.ReadUInt64BigEndian(b),
            _ => null,
        };
        return new IdMap(ids, labels, maxSeqId, python);
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        long or double or bool or BigInteger => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        PickleObject o => $"an object of class '{o.ClassName}'",
        _ => $"a {value.GetType().Name}",
    };

    private static ChromaSourceException Refuse(string path, string message) => new($"{path}: {message}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record IdMap(Dictionary<string, ulong> IdToLabel, Dictionary<ulong, string> LabelToId, long? MaxSeqId, bool Python);

    private sealed record Header(
        ulong OffsetLevel0, ulong Capacity, ulong Elements, ulong Stride, ulong LabelOffset, ulong VectorOffsetRaw,
        int MaxLevel, uint EntryPoint, ulong MaxM, ulong MaxM0, ulong M)
    {
        public int Dimension => (int)((LabelOffset - VectorOffsetRaw) / 4);

        public long VectorOffset => (long)VectorOffsetRaw;
    }
}
