using System.Numerics;
using Maximus.Migration.Chroma;

namespace Maximus.Migration.Tests;

public sealed class SafePickleTests
{
    [Fact]
    public void Chroma_1x_id_map_decodes_to_dicts_of_strings_and_ints_with_memo_references()
    {
        var writer = new PickleWriter();
        writer.Start(3);
        writer.Dict(
        [
            ("dimensionality", w => w.None()),
            ("total_elements_added", w => w.Int(70_000)),
            ("id_to_label", w => w.Dict([("a", x => x.Int(1)), ("é ✓", x => x.Int(300))])),
            ("label_to_id", w => w.IntDict([(1, "a"), (300, "é ✓")])),
            ("big", w => w.Int(1L << 40)),
        ]);
        var bytes = writer.Finish();

        var map = Assert.IsType<Dictionary<object, object?>>(SafePickle.Read(bytes));

        Assert.Null(map["dimensionality"]);
        Assert.Equal(70_000L, map["total_elements_added"]);
        Assert.Equal(1L << 40, map["big"]);
        var ids = Assert.IsType<Dictionary<object, object?>>(map["id_to_label"]);
        Assert.Equal(300L, ids["é ✓"]);
        Assert.Equal("a", Assert.IsType<Dictionary<object, object?>>(map["label_to_id"])[1L]);
    }

    [Fact]
    public void Memo_get_floats_lists_tuples_booleans_and_long_ints_decode()
    {
        // {'k': 'v', 'again': <memo 1>, 'f': 1.5, 'l': [True, False, None], 't': (1, 2), 'n': -2**70}
        byte[] bytes =
        [
            0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, (byte)'}', 0x94, (byte)'(',
            0x8c, 1, (byte)'k', 0x94, 0x8c, 1, (byte)'v', 0x94,
            0x8c, 5, .. "again"u8, 0x94, (byte)'h', 2,
            0x8c, 1, (byte)'f', (byte)'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
            0x8c, 1, (byte)'l', (byte)']', (byte)'(', 0x88, 0x89, (byte)'N', (byte)'e',
            0x8c, 1, (byte)'t', (byte)'K', 1, (byte)'K', 2, 0x86,
            0x8c, 1, (byte)'n', 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0,
            (byte)'u', (byte)'.',
        ];

        var map = Assert.IsType<Dictionary<object, object?>>(SafePickle.Read(bytes));

        Assert.Equal("v", map["again"]);
        Assert.Equal(1.5, map["f"]);
        Assert.Equal([true, false, null], Assert.IsType<List<object?>>(map["l"]));
        Assert.Equal([1L, 2L], Assert.IsType<PickleTuple>(map["t"]).Items);
        Assert.Equal(-BigInteger.Pow(2, 70), map["n"]);
    }

    [Fact]
    public void Python_persistent_data_object_is_read_as_its_state_dict_without_constructing_anything()
    {
        var writer = new PickleWriter();
        writer.Start(5);
        writer.StackGlobal("chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData");
        writer.Raw(0x29, 0x81);
        writer.Dict([("max_seq_id", w => w.Int(42))]);
        writer.Raw((byte)'b');

        var value = Assert.IsType<PickleObject>(SafePickle.Read(writer.Finish()));

        Assert.Equal(SafePickle.PersistentDataClass, value.ClassName);
        Assert.Equal(42L, value.State["max_seq_id"]);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 3, (byte)'c', (byte)'o', (byte)'s', (byte)'\n', (byte)'s', (byte)'y', (byte)'s', (byte)'t', (byte)'e', (byte)'m', (byte)'\n', (byte)'.' }, "'os.system'")]
    [InlineData(new byte[] { 0x80, 3, (byte)'N', (byte)')', (byte)'R', (byte)'.' }, "REDUCE")]
    [InlineData(new byte[] { 0x80, 3, (byte)'(', (byte)'i', (byte)'a', (byte)'\n', (byte)'b', (byte)'\n', (byte)'.' }, "INST")]
    [InlineData(new byte[] { 0x80, 4, 0x8f, (byte)'.' }, "EMPTY_SET")]
    [InlineData(new byte[] { 0x80, 3, (byte)'Q', (byte)'.' }, "BINPERSID")]
    [InlineData(new byte[] { 0x80, 3, (byte)'S', (byte)'\'', (byte)'x', (byte)'\'', (byte)'\n', (byte)'.' }, "STRING")]
    [InlineData(new byte[] { 0x80, 3, (byte)'}', (byte)'X', 9, 0, 0, 0, (byte)'a' }, "truncated")]
    [InlineData(new byte[] { 0x80, 3, (byte)'}' }, "without STOP")]
    [InlineData(new byte[] { 0x80, 3, (byte)'h', 7, (byte)'.' }, "never stored")]
    public void Anything_outside_the_subset_is_refused_by_name(byte[] bytes, string name)
    {
        var error = Assert.Throws<PickleFormatException>(() => SafePickle.Read(bytes));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
