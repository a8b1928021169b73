using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Maximus.Memory.Vectors.Lexical;

/// <summary>
/// The one tokenizer of keyword search, used by every adapter so that they index and query the same terms: runs of
/// letters and digits, lower-cased (invariant), diacritics removed (Latin letters folded to their base letters,
/// combining marks dropped), Porter-stemmed. A word with an apostrophe suffix ("caroline's", "don't") also yields one joined term
/// ("carolin_s", "don_t"): a document keeps the stem and the joined term (so its length in terms is that of the two
/// words), a query asks for the joined term only, which is what a phrase query on the two words would find. Documents
/// keep every term (their length counts in BM25); queries drop very common function words and repeated words. Query text
/// is never parsed as syntax (quotes, operators and brackets are separators).
/// </summary>
public static partial class LexicalText
{
    /// <summary>Names the tokenization (reported by benchmarks).</summary>
    public const string Description = "letters+digits, lower case, no diacritics, porter; X's as X + X_s";

    /// <summary>The terms of a document, in order, repeats kept.</summary>
    public static List<string> DocumentTerms(string? text)
    {
        var terms = new List<string>();
        foreach (var (word, suffix) in Words(text))
        {
            var stem = PorterStemmer.Stem(word);
            terms.Add(stem);
            if (suffix is not null)
            {
                terms.Add(Joined(stem, suffix));
            }
        }

        return terms;
    }

    /// <summary>
    /// The terms of a query, one per distinct word (stop words left out), in order; empty when nothing can match. Two
    /// distinct words with one stem ("paint", "painting") give the term twice: it weighs twice in the BM25 sum.
    /// </summary>
    public static List<string> QueryTerms(string? text)
    {
        var seen = new HashSet<(string, string?)>();
        var terms = new List<string>();
        foreach (var (word, suffix) in Words(text))
        {
            if (!seen.Add((word, suffix)) || (suffix is null && StopWords.Contains(word)))
            {
                continue;
            }

            terms.Add(suffix is not null ? Joined(PorterStemmer.Stem(word), suffix) : PorterStemmer.Stem(word));
        }

        return terms;
    }

    /// <summary>The words of a text (lower case, without diacritics), each with its apostrophe suffix if any, in order.</summary>
    public static IEnumerable<(string Word, string? Suffix)> Words(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            yield break;
        }

        // Invariant globalization (the build's setting) has no Unicode normalization, so diacritics are folded by table.
        var plain = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var lower = char.ToLowerInvariant(c);
            if (c >= '\u0300' && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (lower >= '\u00C0' && Folded.TryGetValue(lower, out var plainLetter))
            {
                plain.Append(plainLetter);
            }
            else
            {
                plain.Append(lower);
            }
        }

        foreach (Match match in WordPattern().Matches(plain.ToString()))
        {
            yield return (match.Groups[1].Value, match.Groups[2].Success ? match.Groups[2].Value : null);
        }
    }

    /// <summary>Words too common to rank by, left out of queries (documents keep them).</summary>
    public static IReadOnlySet<string> StopWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "is", "are", "was", "were", "be",
        "been", "do", "does", "did", "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "it", "its",
        "that", "this", "as", "from", "has", "have", "had", "s",
    };

    /// <summary>Latin letters with diacritics (lower case) and their base letters.</summary>
    private static readonly Dictionary<char, string> Folded = BuildFolded();

    private static Dictionary<char, string> BuildFolded()
    {
        var folded = new Dictionary<char, string>();
        foreach (var (letters, plain) in new[]
        {
            ("àáâãäåāăą", "a"), ("çćĉċč", "c"), ("ďđ", "d"), ("èéêëēĕėęě", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"),
            ("ìíîïĩīĭįı", "i"), ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņňŉ", "n"), ("òóôõöøōŏő", "o"),
            ("ŕŗř", "r"), ("śŝşšș", "s"), ("ţťŧț", "t"), ("ùúûüũūŭůűų", "u"), ("ŵ", "w"), ("ýÿŷ", "y"),
            ("źżž", "z"),
        })
        {
            foreach (var letter in letters)
            {
                folded[letter] = plain;
            }
        }

        return folded;
    }

    private static string Joined(string stem, string suffix) => $"{stem}_{PorterStemmer.Stem(suffix)}";

    [GeneratedRegex(@"([\p{L}\p{N}]+)(?:['\u2019\u02BC](\p{L}+))?", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
