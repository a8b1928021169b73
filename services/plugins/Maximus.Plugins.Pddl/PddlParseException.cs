namespace Maximus.Plugins.Pddl;

/// <summary>
/// A syntax or semantic error in a PDDL domain or problem. The message reads like a compiler
/// diagnostic: <c>domain.pddl:12:5: unknown predicate 'foo' in precondition of action 'stack'</c>.
/// </summary>
public sealed class PddlParseException : Exception
{
    public PddlParseException(string? fileName, int line, int column, string reason)
        : base(Format(fileName, line, column, reason))
    {
        FileName = fileName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    public PddlParseException()
        : this(null, 0, 0, "invalid PDDL")
    {
    }

    public PddlParseException(string message)
        : this(null, 0, 0, message)
    {
    }

    public PddlParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>The file name given to the parser, if any.</summary>
    public string? FileName { get; }

    /// <summary>1-based line of the offending token (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending token (0 when unknown).</summary>
    public int Column { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Reason { get; } = string.Empty;

    private static string Format(string? fileName, int line, int column, string reason)
    {
        var location = line > 0 ? $"{line}:{column}" : string.Empty;
        return (fileName, location) switch
        {
            (null or "", "") => reason,
            (null or "", _) => $"{location}: {reason}",
            (_, "") => $"{fileName}: {reason}",
            _ => $"{fileName}:{location}: {reason}",
        };
    }
}
