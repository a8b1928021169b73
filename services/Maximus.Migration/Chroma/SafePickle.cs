using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Maximus.Migration.Chroma;

/// <summary>A Python tuple read from a pickle.</summary>
public sealed record PickleTuple(IReadOnlyList<object?> Items);

/// <summary>
/// An instance of the one class <see cref="SafePickle"/> accepts (Chroma's <c>PersistentData</c>): only its name and the
/// state dictionary its pickle carries. Nothing is imported, constructed or called.
/// </summary>
public sealed record PickleObject(string ClassName, Dictionary<object, object?> State);

/// <summary>A pickle outside the accepted subset, or a damaged one.</summary>
public sealed class PickleFormatException(string message) : Exception(message);

/// <summary>
/// Decodes the subset of the Python pickle format that Chroma writes to <c>index_metadata.pickle</c>, WITHOUT executing
/// anything: a pickle is a program for a stack machine, and this reads only its data-building instructions.
/// <list type="bullet">
/// <item>Accepted: PROTO, FRAME, STOP; MARK; EMPTY_DICT/DICT/SETITEM/SETITEMS; EMPTY_LIST/LIST/APPEND/APPENDS;
/// EMPTY_TUPLE/TUPLE/TUPLE1-3; NONE, NEWTRUE, NEWFALSE; BININT, BININT1, BININT2, LONG1, LONG4; BINFLOAT;
/// BINUNICODE, SHORT_BINUNICODE, BINUNICODE8; BINBYTES, SHORT_BINBYTES, BINBYTES8; memo ops (BINPUT, LONG_BINPUT,
/// MEMOIZE, BINGET, LONG_BINGET).</item>
/// <item>Accepted as data only: GLOBAL/STACK_GLOBAL naming exactly <see cref="PersistentDataClass"/> (what Chroma 0.4-0.6
/// pickles), followed by NEWOBJ with no arguments and BUILD with a dict state — the result is a <see cref="PickleObject"/>
/// holding that dict. Chroma 1.x writes a plain dict.</item>
/// <item>Refused by name: every other opcode (REDUCE, INST, OBJ, NEWOBJ_EX, PERSID, EXT*, sets, text opcodes, ...) and
/// every other global (e.g. <c>os.system</c>, <c>collections.OrderedDict</c>).</item>
/// </list>
/// Dictionaries use <see cref="long"/>, <see cref="BigInteger"/>, <see cref="double"/>, <see cref="string"/>,
/// <see cref="bool"/> keys as Python would (ints that fit 64 bits are <see cref="long"/>).
/// </summary>
public static class SafePickle
{
    public const string PersistentDataClass = "chromadb.segment.impl.vector.local_persistent_hnsw.PersistentData";
    private static readonly object Mark = new();

    private static readonly Dictionary<byte, string> Names = new()
    {
        [(byte)'('] = "MARK", [(byte)'.'] = "STOP", [(byte)'0'] = "POP", [(byte)'1'] = "POP_MARK", [(byte)'2'] = "DUP",
        [(byte)'F'] = "FLOAT", [(byte)'I'] = "INT", [(byte)'J'] = "BININT", [(byte)'K'] = "BININT1", [(byte)'L'] = "LONG",
        [(byte)'M'] = "BININT2", [(byte)'N'] = "NONE", [(byte)'P'] = "PERSID", [(byte)'Q'] = "BINPERSID", [(byte)'R'] = "REDUCE",
        [(byte)'S'] = "STRING", [(byte)'T'] = "BINSTRING", [(byte)'U'] = "SHORT_BINSTRING", [(byte)'V'] = "UNICODE",
        [(byte)'X'] = "BINUNICODE", [(byte)'a'] = "APPEND", [(byte)'b'] = "BUILD", [(byte)'c'] = "GLOBAL", [(byte)'d'] = "DICT",
        [(byte)'}'] = "EMPTY_DICT", [(byte)'e'] = "APPENDS", [(byte)'g'] = "GET", [(byte)'h'] = "BINGET", [(byte)'i'] = "INST",
        [(byte)'j'] = "LONG_BINGET", [(byte)'l'] = "LIST", [(byte)']'] = "EMPTY_LIST", [(byte)'o'] = "OBJ", [(byte)'p'] = "PUT",
        [(byte)'q'] = "BINPUT", [(byte)'r'] = "LONG_BINPUT", [(byte)'s'] = "SETITEM", [(byte)'t'] = "TUPLE", [(byte)')'] = "EMPTY_TUPLE",
        [(byte)'u'] = "SETITEMS", [(byte)'G'] = "BINFLOAT", [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2",
        [0x84] = "EXT4", [0x85] = "TUPLE1", [0x86] = "TUPLE2", [0x87] = "TUPLE3", [0x88] = "NEWTRUE", [0x89] = "NEWFALSE",
        [0x8a] = "LONG1", [0x8b] = "LONG4", [(byte)'B'] = "BINBYTES", [(byte)'C'] = "SHORT_BINBYTES", [0x8c] = "SHORT_BINUNICODE",
        [0x8d] = "BINUNICODE8", [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET",
        [0x92] = "NEWOBJ_EX", [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME", [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
    };

    /// <summary>The opcode's name in Python's <c>pickletools</c>, or its hex value.</summary>
    public static string OpcodeName(byte opcode) =>
        Names.TryGetValue(opcode, out var name) ? name : string.Create(CultureInfo.InvariantCulture, $"unknown opcode 0x{opcode:x2}");

    /// <summary>Decodes <paramref name="bytes"/>; throws <see cref="PickleFormatException"/> naming the refused opcode or global.</summary>
    public static object? Read(ReadOnlySpan<byte> bytes)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var pos = 0;
        while (true)
        {
            if (pos >= bytes.Length)
            {
                throw new PickleFormatException($"the pickle ends at byte {bytes.Length} without STOP (truncated).");
            }

            var at = pos;
            var op = bytes[pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    var protocol = Take(bytes, ref pos, 1, at)[0];
                    if (protocol > 5)
                    {
                        throw new PickleFormatException($"pickle protocol {protocol} is newer than 5.");
                    }

                    break;
                case 0x95: // FRAME: a length prefix only
                    Take(bytes, ref pos, 8, at);
                    break;
                case (byte)'.':
                    if (stack.Count != 1 || stack[0] == Mark)
                    {
                        throw new PickleFormatException($"STOP at byte {at} with {stack.Count} value(s) on the stack (expected 1).");
                    }

                    return stack[0] is PickleClass c
                        ? throw new PickleFormatException($"the pickle's result is the class '{c.Name}', not data.")
                        : stack[0];
                case (byte)'(':
                    stack.Add(Mark);
                    break;
                case (byte)'}':
                    stack.Add(new Dictionary<object, object?>());
                    break;
                case (byte)']':
                    stack.Add(new List<object?>());
                    break;
                case (byte)')':
                    stack.Add(new PickleTuple([]));
                    break;
                case (byte)'d':
                    {
                        var items = PopToMark(stack, at, op);
                        var dict = new Dictionary<object, object?>();
                        AddPairs(dict, items, at);
                        stack.Add(dict);
                        break;
                    }

                case (byte)'l':
                    stack.Add(PopToMark(stack, at, op));
                    break;
                case (byte)'t':
                    stack.Add(new PickleTuple(PopToMark(stack, at, op)));
                    break;
                case 0x85:
                case 0x86:
                case 0x87:
                    {
                        var n = op - 0x84;
                        Need(stack, n, at, op);
                        var items = stack.GetRange(stack.Count - n, n);
                        if (items.Contains(Mark))
                        {
                            throw new PickleFormatException($"{OpcodeName(op)} at byte {at} meets a MARK.");
                        }

                        stack.RemoveRange(stack.Count - n, n);
                        stack.Add(new PickleTuple(items));
                        break;
                    }

                case (byte)'s':
                    {
                        Need(stack, 3, at, op);
                        var value = stack[^1];
                        var key = stack[^2];
                        stack.RemoveRange(stack.Count - 2, 2);
                        AddPairs(Target<Dictionary<object, object?>>(stack, at, op), [key, value], at);
                        break;
                    }

                case (byte)'u':
                    {
                        var items = PopToMark(stack, at, op);
                        AddPairs(Target<Dictionary<object, object?>>(stack, at, op), items, at);
                        break;
                    }

                case (byte)'a':
                    {
                        Need(stack, 2, at, op);
                        var value = stack[^1];
                        stack.RemoveAt(stack.Count - 1);
                        Target<List<object?>>(stack, at, op).Add(Data(value, at));
                        break;
                    }

                case (byte)'e':
                    {
                        var items = PopToMark(stack, at, op);
                        Target<List<object?>>(stack, at, op).AddRange(items.Select(i => Data(i, at)));
                        break;
                    }

                case (byte)'N':
                    stack.Add(null);
                    break;
                case 0x88:
                    stack.Add(true);
                    break;
                case 0x89:
                    stack.Add(false);
                    break;
                case (byte)'J':
                    stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(bytes, ref pos, 4, at)));
                    break;
                case (byte)'K':
                    stack.Add((long)Take(bytes, ref pos, 1, at)[0]);
                    break;
                case (byte)'M':
                    stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(bytes, ref pos, 2, at)));
                    break;
                case 0x8a:
                case 0x8b:
                    {
                        var length = op == 0x8a ? Take(bytes, ref pos, 1, at)[0] : Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref pos, 4, at)), at);
                        var value = new BigInteger(Take(bytes, ref pos, length, at), isUnsigned: false, isBigEndian: false);
                        stack.Add(value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value);
                        break;
                    }

                case (byte)'G':
                    stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(bytes, ref pos, 8, at)));
                    break;
                case (byte)'X':
                case 0x8c:
                case 0x8d:
                    {
                        var length = op switch
                        {
                            0x8c => Take(bytes, ref pos, 1, at)[0],
                            (byte)'X' => Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref pos, 4, at)), at),
                            _ => Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(bytes, ref pos, 8, at)), at),
                        };
                        stack.Add(Utf8(Take(bytes, ref pos, length, at), at));
                        break;
                    }

                case (byte)'B':
                case (byte)'C':
                case 0x8e:
                    {
                        var length = op switch
                        {
                            (byte)'C' => Take(bytes, ref pos, 1, at)[0],
                            (byte)'B' => Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref pos, 4, at)), at),
                            _ => Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(bytes, ref pos, 8, at)), at),
                        };
                        stack.Add(Take(bytes, ref pos, length, at).ToArray());
                        break;
                    }

                case (byte)'q':
                case (byte)'r':
                case 0x94:
                    {
                        Need(stack, 1, at, op);
                        long key = op switch
                        {
                            (byte)'q' => Take(bytes, ref pos, 1, at)[0],
                            (byte)'r' => BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref pos, 4, at)),
                            _ => memo.Count,
                        };
                        if (stack[^1] == Mark)
                        {
                            throw new PickleFormatException($"{OpcodeName(op)} at byte {at} would memoize a MARK.");
                        }

                        memo[key] = stack[^1];
                        break;
                    }

                case (byte)'h':
                case (byte)'j':
                    {
                        long key = op == (byte)'h' ? Take(bytes, ref pos, 1, at)[0] : BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref pos, 4, at));
                        if (!memo.TryGetValue(key, out var value))
                        {
                            throw new PickleFormatException($"{OpcodeName(op)} at byte {at} reads memo {key}, which was never stored.");
                        }

                        stack.Add(value);
                        break;
                    }

                case (byte)'c':
                    {
                        var module = Line(bytes, ref pos, at);
                        var name = Line(bytes, ref pos, at);
                        stack.Add(Global(module, name, op, at));
                        break;
                    }

                case 0x93:
                    {
                        Need(stack, 2, at, op);
                        if (stack[^2] is not string module || stack[^1] is not string name)
                        {
                            throw new PickleFormatException($"STACK_GLOBAL at byte {at} without module and name strings.");
                        }

                        stack.RemoveRange(stack.Count - 2, 2);
                        stack.Add(Global(module, name, op, at));
                        break;
                    }

                case 0x81:
                    {
                        Need(stack, 2, at, op);
                        if (stack[^2] is not PickleClass type || stack[^1] is not PickleTuple { Items.Count: 0 })
                        {
                            throw new PickleFormatException($"NEWOBJ at byte {at}: only '{PersistentDataClass}' with no arguments is accepted.");
                        }

                        stack.RemoveRange(stack.Count - 2, 2);
                        stack.Add(new PickleObject(type.Name, []));
                        break;
                    }

                case (byte)'b':
                    {
                        Need(stack, 2, at, op);
                        var state = stack[^1];
                        stack.RemoveAt(stack.Count - 1);
                        if (stack[^1] is not PickleObject target)
                        {
                            throw new PickleFormatException($"BUILD at byte {at} on something other than '{PersistentDataClass}'.");
                        }

                        // Python's default __setstate__: a dict, or (dict, slots dict).
                        Dictionary<object, object?>[] parts = state switch
                        {
                            Dictionary<object, object?> d => [d],
                            PickleTuple { Items: [Dictionary<object, object?> d, Dictionary<object, object?> slots] } => [d, slots],
                            PickleTuple { Items: [null, Dictionary<object, object?> slots] } => [slots],
                            _ => throw new PickleFormatException($"BUILD at byte {at}: the state is not a dict."),
                        };
                        foreach (var part in parts)
                        {
                            foreach (var (k, v) in part)
                            {
                                target.State[k] = v;
                            }
                        }

                        break;
                    }

                default:
                    throw new PickleFormatException(string.Create(CultureInfo.InvariantCulture,
                        $"opcode {OpcodeName(op)} (0x{op:x2}) at byte {at} is not accepted: this reader decodes only dicts, lists, tuples, numbers, strings, bytes, None/True/False and memo operations, and never executes a pickle."));
            }
        }
    }

    private static PickleClass Global(string module, string name, byte op, int at)
    {
        var full = $"{module}.{name}";
        return full == PersistentDataClass
            ? new PickleClass(full)
            : throw new PickleFormatException(
                $"{OpcodeName(op)} at byte {at} references the Python global '{full}': only '{PersistentDataClass}' (as plain data) is accepted, and nothing is ever imported or called.");
    }

    private static object? Data(object? value, int at) =>
        value == Mark || value is PickleClass ? throw new PickleFormatException($"a MARK or class is used as a value at byte {at}.") : value;

    private static void AddPairs(Dictionary<object, object?> dict, List<object?> items, int at)
    {
        if (items.Count % 2 != 0)
        {
            throw new PickleFormatException($"odd number of items for a dict at byte {at}.");
        }

        for (var i = 0; i < items.Count; i += 2)
        {
            var key = Data(items[i], at) switch
            {
                null => throw new PickleFormatException($"a dict key is None at byte {at} (not produced by Chroma)."),
                Dictionary<object, object?> or List<object?> or byte[] => throw new PickleFormatException($"an unhashable dict key at byte {at}."),
                var k => k,
            };
            dict[key] = Data(items[i + 1], at);
        }
    }

    private static T Target<T>(List<object?> stack, int at, byte op)
        where T : class =>
        stack.Count > 0 && stack[^1] is T target
            ? target
            : throw new PickleFormatException($"{OpcodeName(op)} at byte {at} has no {(typeof(T) == typeof(List<object?>) ? "list" : "dict")} to add to.");

    private static List<object?> PopToMark(List<object?> stack, int at, byte op)
    {
        var mark = stack.LastIndexOf(Mark);
        if (mark < 0)
        {
            throw new PickleFormatException($"{OpcodeName(op)} at byte {at} without a MARK.");
        }

        var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private static void Need(List<object?> stack, int count, int at, byte op)
    {
        if (stack.Count < count)
        {
            throw new PickleFormatException($"{OpcodeName(op)} at byte {at} needs {count} value(s) on the stack, found {stack.Count}.");
        }
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int pos, int count, int at)
    {
        if (count < 0 || count > bytes.Length - pos)
        {
            throw new PickleFormatException($"the pickle is truncated: the operand of {OpcodeName(bytes[at])} at byte {at} needs {count} byte(s), {bytes.Length - pos} remain.");
        }

        var slice = bytes.Slice(pos, count);
        pos += count;
        return slice;
    }

    private static int Length(ulong length, int at) =>
        length <= int.MaxValue ? (int)length : throw new PickleFormatException($"a length of {length} at byte {at} is larger than any Chroma pickle.");

    private static string Line(ReadOnlySpan<byte> bytes, ref int pos, int at)
    {
        var end = bytes[pos..].IndexOf((byte)'\n');
        if (end < 0)
        {
            throw new PickleFormatException($"GLOBAL at byte {at} is truncated.");
        }

        var text = Utf8(bytes.Slice(pos, end), at);
        pos += end + 1;
        return text;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes, int at)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new PickleFormatException($"a string at byte {at} is not valid UTF-8.");
        }
    }

    private sealed record PickleClass(string Name);
}
