using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// A prepared model's word-embedding table (the float <c>[vocabulary, dimensions]</c> matrix a BERT model's first
/// <c>Gather</c> reads with the token ids), kept beside the model as raw little-endian floats and mapped into memory
/// rather than read: the graph takes it as an input (<see cref="Detach"/>), and the session is given a tensor over the
/// mapping (<see cref="Open"/>).
/// </summary>
/// <remarks>
/// Why: the table is 47 of the int8 model's 59 MB. Read into the process, every one of its pages is copied and then
/// faulted in at start (on this VM a fault costs ~12 µs: ~0.3 s of a restart's CPU, and the memory role's readiness
/// waits for the model); mapped, only the rows of the tokens actually embedded are ever touched, from the page cache that
/// every process on the machine shares. The table is the same in the float and the int8 model (the quantizer leaves
/// <c>Gather</c> alone), so the two prepared models share one file.
/// </remarks>
public sealed class WordEmbeddingTable : IDisposable
{
    /// <summary>The table's file name for a model (e.g. <c>all-MiniLM-L6-v2.word-embeddings.f32</c>).</summary>
    public static string FileNameFor(LocalEmbeddingModel model) => model.FileStem + ".word-embeddings.f32";

    private const int FloatType = 1;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private WordEmbeddingTable(string inputName, MemoryMappedFile file, MemoryMappedViewAccessor view, OrtValue value)
    {
        InputName = inputName;
        _file = file;
        _view = view;
        Value = value;
    }

    /// <summary>The graph input the table feeds.</summary>
    public string InputName { get; }

    /// <summary>A tensor over the mapped file (no copy): passed with every run.</summary>
    public OrtValue Value { get; }

    /// <summary>
    /// Takes the word-embedding table out of <paramref name="onnxModel"/>: the float 2-D initializer that a <c>Gather</c>
    /// indexes with the graph input <c>input_ids</c> becomes a graph input of the same name and shape. Returns the model's
    /// bytes without it, the input's name and the table's raw bytes; null when the model has no such table (it is then
    /// kept whole).
    /// </summary>
    public static (byte[] Model, string InputName, byte[] Table)? Detach(byte[] onnxModel)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        var model = ModelProto.Parser.ParseFrom(onnxModel);
        var graph = model.Graph;
        if (!graph.Input.Any(i => i.Name == "input_ids"))
        {
            return null;
        }

        var gathered = graph.Node
            .Where(n => n.OpType == "Gather" && n.Domain is null or "" && n.Input.Count == 2 && n.Input[1] == "input_ids")
            .Select(n => n.Input[0])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var table = graph.Initializer.FirstOrDefault(i =>
            gathered.Contains(i.Name) && i.DataType == FloatType && i.Dims.Count == 2 && i.RawData.Length == i.Dims[0] * i.Dims[1] * sizeof(float));
        if (table is null || graph.Node.Count(n => n.Input.Contains(table.Name)) != 1)
        {
            return null;
        }

        graph.Initializer.Remove(table);
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = table.Dims[0] });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = table.Dims[1] });
        graph.Input.Add(new ValueInfoProto
        {
            Name = table.Name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType, Shape = shape } },
        });
        return (model.ToByteArray(), table.Name, table.RawData.ToByteArray());
    }

    /// <summary>
    /// Maps the table at <paramref name="path"/> for the session's input <paramref name="inputName"/>, whose shape the
    /// session gives. Throws <see cref="InvalidDataException"/> when the file's size does not match that shape.
    /// </summary>
    public static unsafe WordEmbeddingTable Open(string path, string inputName, NodeMetadata input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 2 || input.Dimensions.Any(d => d <= 0))
        {
            throw new InvalidDataException($"The model's input '{inputName}' is not a float table of fixed shape.");
        }

        long[] shape = [input.Dimensions[0], input.Dimensions[1]];
        var bytes = shape[0] * shape[1] * sizeof(float);
        var length = new FileInfo(path).Length;
        if (length != bytes)
        {
            throw new InvalidDataException($"The word-embedding table {path} holds {length} bytes; the model's input '{inputName}' needs {bytes} ({shape[0]}×{shape[1]} floats).");
        }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (nint)pointer, bytes);
            return new WordEmbeddingTable(inputName, file, view, value);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> through a temporary file (never half a table).</summary>
    public static void Write(string path, ReadOnlySpan<byte> table)
    {
        var temporary = path + $".{Environment.ProcessId}.tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(table);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        Value.Dispose();
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
