namespace Maximus.Migration.Chroma;

/// <summary>
/// What Chroma's Rust server (1.x) serves for a vector it inserted into a cosine index: hnswlib (chroma-hnswlib, built
/// with -Ofast for x86-64) stores v / (|v| + 1e-30) and |v|, and serves their float32 product. The norm is the sum of
/// squares as the compiler vectorises it — four SSE lanes (element i into lane i mod 4), reduced as
/// (lane0 + lane2) + (lane1 + lane3), then the elements past the last multiple of four added in order — then sqrtf.
/// Checked bit for bit against a Chroma 1.0.0 server on 617 logged 384-dimensional vectors (the four-lane order matched
/// all of them; in-order, 8- and 16-lane sums did not).
/// </summary>
public static class HnswCosine
{
    /// <summary>The vector the server returns after inserting <paramref name="vector"/> into a cosine index.</summary>
    public static float[] AsServedAfterInsert(ReadOnlySpan<float> vector)
    {
        var length = Norm(vector);
        var inverse = 1f / (length + 1e-30f);
        var served = new float[vector.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            var stored = vector[i] * inverse;
            served[i] = stored * length;
        }

        return served;
    }

    /// <summary>sqrtf of the sum of squares in the server's summation order.</summary>
    public static float Norm(ReadOnlySpan<float> vector)
    {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        var main = vector.Length - (vector.Length % 4);
        for (var i = 0; i < main; i += 4)
        {
            a0 += vector[i] * vector[i];
            a1 += vector[i + 1] * vector[i + 1];
            a2 += vector[i + 2] * vector[i + 2];
            a3 += vector[i + 3] * vector[i + 3];
        }

        var sum = (a0 + a2) + (a1 + a3);
        for (var i = main; i < vector.Length; i++)
        {
            sum += vector[i] * vector[i];
        }

        return MathF.Sqrt(sum);
    }
}
