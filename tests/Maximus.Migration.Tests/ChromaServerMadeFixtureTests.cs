using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;

namespace Maximus.Migration.Tests;

/// <summary>
/// The directory a real Chroma 1.0.0 server wrote (../shared/fixtures/chroma-server-made): every record must equal what
/// that server served (its expected.json: id, document, metadata, and a hash of the vector rounded to 6 decimals).
/// </summary>
public sealed class ChromaServerMadeFixtureTests
{
    private static readonly Lazy<(string? Directory, string Reason)> Unpacked = new(Unpack);

    private static (string? Directory, string Reason) Unpack()
    {
        var fixture = ChromaFixtures.SharedFixture("chroma-server-made");
        if (fixture is null)
        {
            return (null, "The shared fixture ../shared/fixtures/chroma-server-made is absent.");
        }

        var target = ChromaFixtures.TempDirectory();
        try
        {
            using var tar = Process.Start(new ProcessStartInfo("tar", ["-xJf", Path.Combine(fixture, "chroma-dir.tar.xz"), "-C", target])
            {
                RedirectStandardError = true,
            })!;
            var error = tar.StandardError.ReadToEnd();
            tar.WaitForExit();
            return tar.ExitCode == 0 ? (Path.Combine(target, "shared"), "") : (null, $"tar -xJf failed: {error}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, $"tar (with xz) is needed to unpack the fixture: {ex.Message}");
        }
    }

    private static string Directory()
    {
        var (dir, reason) = Unpacked.Value;
        if (dir is null)
        {
            Assert.Skip(reason);
        }

        return dir;
    }

    [Fact]
    public async Task Every_record_equals_what_the_chroma_server_served()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory();
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ChromaFixtures.SharedFixture("chroma-server-made")!, "expected.json"), ct))!.AsObject();
        var reader = new ChromaDirectoryReader(dir);
        var collections = await reader.ListCollectionsAsync(ct);

        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), collections.Select(c => c.Name).Order(StringComparer.Ordinal));
        foreach (var collection in collections)
        {
            var want = expected[collection.Name]!;
            var records = new Dictionary<string, ChromaRecord>(StringComparer.Ordinal);
            await foreach (var batch in reader.ReadAsync(collection, 500, ct))
            {
                foreach (var record in batch)
                {
                    records.Add(record.Id, record);
                }
            }

            Assert.Equal(want["count"]!.GetValue<int>(), records.Count);
            foreach (var row in want["records"]!.AsArray())
            {
                var id = row![0]!.GetValue<string>();
                Assert.True(records.TryGetValue(id, out var record), $"{collection.Name}: {id} missing");
                Assert.Equal(row[1]?.GetValue<string>(), record.Document);
                var metadata = JsonNode.Parse(row[2]!.GetValue<string>());
                Assert.True(JsonNode.DeepEquals(metadata, record.Metadata.Count == 0 ? null : record.Metadata), $"{collection.Name}: metadata of {id}");
                Assert.Equal(row[3]!.GetValue<string>(), PythonVectorHash(record.Embedding));
            }
        }
    }

    [Fact]
    public async Task The_cli_command_migrates_1585_plus_117_records_verified()
    {
        var dir = Directory();
        var data = ChromaFixtures.TempDirectory();
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data, BuildIndexInBackground = false });
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = "chroma:" + dir, Verify = true, Json = true, DataDirectory = data },
            () => store, output, error, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, code);
        var report = JsonNode.Parse(output.ToString())!;
        Assert.Equal(1585 + 117, report["written"]!.GetValue<long>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());
        Assert.Equal([1585L, 117L], report["collections"]!.AsArray().Select(c => c!["read"]!.GetValue<long>()));
    }

    [Fact]
    public void The_python_vector_hash_is_reproduced()
    {
        // json.dumps([round(v, 6) for v in e]) as CPython prints it
        Assert.Equal("[0.5, -0.0, 1.2e-05, 3.0]", PythonJsonList([0.5, -1e-07, 1.23456789e-05, 3.0]));
        Assert.Equal("[0.007812, 0.000123, 123456.0]", PythonJsonList([0.0078125, 0.00012345, 123456.0])); // 1/128 is an exact tie: half to even
    }

    /// <summary>What dump_chroma.py hashes: the server's float32 JSON parsed as doubles, rounded by Python's round(v, 6), printed by json.dumps.</summary>
    private static string PythonVectorHash(float[] vector)
    {
        var text = PythonJsonList([.. vector.Select(v => double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static string PythonJsonList(double[] values) => "[" + string.Join(", ", values.Select(v => PythonRepr(PythonRound6(v)))) + "]";

    /// <summary>Python's round(x, 6): the exact binary value rounded half-to-even at 6 decimals, sign kept (so -0.0 stays).</summary>
    private static double PythonRound6(double x)
    {
        if (x == 0 || !double.IsFinite(x))
        {
            return x;
        }

        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(x));
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0)
        {
            exponent = 1;
        }
        else
        {
            mantissa |= 1L << 52;
        }

        var shift = exponent - 1075; // |x| = mantissa * 2^shift
        if (shift >= 0)
        {
            return x;
        }

        var numerator = new BigInteger(mantissa) * 1_000_000;
        var denominator = BigInteger.One << -shift;
        var scaled = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !scaled.IsEven))
        {
            scaled += 1;
        }

        var rounded = (double)scaled / 1_000_000;
        return x < 0 ? -rounded : rounded;
    }

    /// <summary>Python's repr(float): the shortest round-trip digits, fixed notation for 1e-4 ≤ |x| &lt; 1e16, else d.ddde±XX.</summary>
    private static string PythonRepr(double x)
    {
        if (x == 0)
        {
            return double.IsNegative(x) ? "-0.0" : "0.0";
        }

        var shortest = Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
        // Digits and decimal exponent of the shortest form.
        var mantissaPart = shortest.Split('E')[0];
        var exp10 = shortest.Contains('E', StringComparison.Ordinal) ? int.Parse(shortest.Split('E')[1], CultureInfo.InvariantCulture) : 0;
        var dot = mantissaPart.IndexOf('.', StringComparison.Ordinal);
        var intDigits = dot < 0 ? mantissaPart.Length : dot;
        var digits = mantissaPart.Replace(".", "", StringComparison.Ordinal);
        var lead = digits.TakeWhile(c => c == '0').Count();
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var decpt = intDigits - lead + exp10; // value = 0.digits × 10^decpt
        string body;
        if (decpt is > -4 and <= 16)
        {
            body = decpt <= 0 ? "0." + new string('0', -decpt) + digits
                : decpt >= digits.Length ? digits + new string('0', decpt - digits.Length) + ".0"
                : digits[..decpt] + "." + digits[decpt..];
        }
        else
        {
            var e = decpt - 1;
            body = (digits.Length == 1 ? digits : digits[0] + "." + digits[1..]) + "e" + (e < 0 ? "-" : "+") + Math.Abs(e).ToString("00", CultureInfo.InvariantCulture);
        }

        return x < 0 ? "-" + body : body;
    }
}
