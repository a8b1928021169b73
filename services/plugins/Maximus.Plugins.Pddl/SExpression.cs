namespace Maximus.Plugins.Pddl;

/// <summary>A node of the s-expression tree the PDDL parser works on: an atom or a list.</summary>
internal sealed class SExpression
{
    private SExpression(string? atom, List<SExpression>? items, int line, int column)
    {
        Atom = atom;
        Items = items;
        Line = line;
        Column = column;
    }

    /// <summary>The lower-cased symbol, or null for a list.</summary>
    public string? Atom { get; }

    public List<SExpression>? Items { get; }

    public int Line { get; }

    public int Column { get; }

    public int EndLine { get; private set; }

    public int EndColumn { get; private set; }

    public bool IsAtom => Atom is not null;

    public bool IsList => Items is not null;

    /// <summary>The first item when it is an atom (the head of a form), otherwise null.</summary>
    public string? Head => Items is { Count: > 0 } items && items[0].IsAtom ? items[0].Atom : null;

    public static SExpression NewAtom(string atom, int line, int column) => new(atom, null, line, column);

    public static SExpression NewList(int line, int column) => new(null, [], line, column);

    public void Close(int line, int column)
    {
        EndLine = line;
        EndColumn = column;
    }

    public override string ToString() =>
        Atom ?? "(" + string.Join(' ', Items!.Select(i => i.ToString())) + ")";
}

/// <summary>Reads PDDL text into one s-expression; symbols are lower-cased, ';' starts a comment.</summary>
internal static class SExpressionReader
{
    public static SExpression ReadSingle(string text, string? fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stack = new Stack<SExpression>();
        SExpression? root = null;
        int line = 1, column = 1, i = 0;

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                column = 1;
                i++;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                Advance(ref i, ref column);
                continue;
            }

            if (c == ';')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    Advance(ref i, ref column);
                }

                continue;
            }

            if (c == ')' && stack.Count == 0)
            {
                throw new PddlParseException(fileName, line, column, "unexpected ')' without a matching '('");
            }

            if (root is not null && stack.Count == 0)
            {
                throw new PddlParseException(fileName, line, column, "unexpected content after the end of the definition");
            }

            if (c == '(')
            {
                var list = SExpression.NewList(line, column);
                if (stack.Count > 0)
                {
                    stack.Peek().Items!.Add(list);
                }

                stack.Push(list);
                Advance(ref i, ref column);
                continue;
            }

            if (c == ')')
            {
                var closed = stack.Pop();
                closed.Close(line, column);
                if (stack.Count == 0)
                {
                    root = closed;
                }

                Advance(ref i, ref column);
                continue;
            }

            int startLine = line, startColumn = column, start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not ';')
            {
                Advance(ref i, ref column);
            }

            var atom = SExpression.NewAtom(text[start..i].ToLowerInvariant(), startLine, startColumn);
            if (stack.Count == 0)
            {
                throw new PddlParseException(fileName, startLine, startColumn, $"expected '(' but found '{atom.Atom}'");
            }

            stack.Peek().Items!.Add(atom);
        }

        if (stack.Count > 0)
        {
            var open = stack.Peek();
            throw new PddlParseException(
                fileName,
                open.Line,
                open.Column,
                $"missing ')': the '(' opened here is never closed (end of input at {line}:{column})");
        }

        return root ?? throw new PddlParseException(fileName, line, column, "empty input: expected '(define ...)'");
    }

    private static void Advance(ref int i, ref int column)
    {
        i++;
        column++;
    }
}
