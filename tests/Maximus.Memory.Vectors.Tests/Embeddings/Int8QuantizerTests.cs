using Maximus.Memory.Vectors.Embeddings;
using Onnx;

namespace Maximus.Memory.Vectors.Tests.Embeddings;

/// <summary>
/// The quantized graph's shape: every float MatMul becomes MatMulIntegerToFloat, and each activation is quantized per
/// token without full-size copies (no Abs, no scaled copy: one ReduceMax and one ReduceMin, a per-axis QuantizeLinear).
/// What the vectors are worth is covered by <see cref="PreparedModelTests"/> (close to the float model, independent of
/// their batch-mates) and <see cref="MiniLmEmbeddingGeneratorTests"/>.
/// </summary>
public sealed class Int8QuantizerTests
{
    [Theory]
    [InlineData(LocalEmbeddingModelKind.MiniLM)]
    [InlineData(LocalEmbeddingModelKind.ArcticXs)]
    public void Each_activation_is_quantized_per_token_in_one_pass_and_every_weight_matmul_is_replaced(LocalEmbeddingModelKind kind)
    {
        var model = LocalEmbeddingModel.For(kind);
        var bytes = LocalEmbeddingGenerator.ReadResource(model.Package, model.ModelResource);
        var original = ModelProto.Parser.ParseFrom(bytes);
        var weights = original.Graph.Initializer.Where(i => i.Dims.Count == 2).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var matMuls = original.Graph.Node.Count(n => n.OpType == "MatMul" && n.Input.Count == 2 && weights.Contains(n.Input[1]));

        var quantized = ModelProto.Parser.ParseFrom(Int8Quantizer.Quantize(bytes)).Graph.Node;

        Assert.True(matMuls > 0);
        Assert.Equal(matMuls, quantized.Count(n => n.OpType == "MatMulIntegerToFloat"));
        Assert.DoesNotContain(quantized, n => n.OpType == "MatMul" && weights.Contains(n.Input[1]));
        var quantizeNodes = quantized.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.NotEmpty(quantizeNodes);
        Assert.True(quantizeNodes.Count < matMuls, "an activation read by several MatMuls (Q, K, V) is quantized once");
        Assert.All(quantizeNodes, q =>
        {
            Assert.Equal(0, Assert.Single(q.Attribute, a => a.Name == "axis").I);
            Assert.Equal("Reshape", quantized.Single(n => n.Output.Contains(q.Input[0])).OpType);
        });
        Assert.DoesNotContain(quantized, n => n.OpType == "Abs" && n.Name.StartsWith("int8q_", StringComparison.Ordinal));
        Assert.Equal(quantizeNodes.Count, quantized.Count(n => n.OpType == "ReduceMin"));
    }
}
