using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

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
public static class LexicalText
{
    /// <summary>Names the tokenization (reported by benchmarks).</summary>
    public const string Description = "letters+digits, lower case, no diacritics, porter; X's as X + X_s";

    /// <summary>Words whose stems are remembered (<see cref="StemOf"/>); past it, new words are stemmed each time.</summary>
    private const int MaxCachedStems = 200_000;

    private static readonly ConcurrentDictionary<string, string> Stems = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> StemsBySpan = Stems.GetAlternateLookup<ReadOnlySpan<char>>();
    private static int _cachedStems;

    /// <summary>
    /// The terms of a document, in order, repeats kept. Every document's words are indexed on every write and on every
    /// load of a collection (100k texts when a host starts on 100k memories), so the words are cut out of the folded text
    /// by a scanner (<see cref="NextWord"/>, no match objects) and the stem of a word seen before comes from a cache: one
    /// string per distinct stem, shared by every document that holds it.
    /// </summary>
    public static List<string> DocumentTerms(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return terms;
        }

        var plain = Fold(text);
        var position = 0;
        while (NextWord(plain, ref position, out var word, out var suffix))
        {
            var stem = StemOf(word);
            terms.Add(stem);
            if (!suffix.IsEmpty)
            {
                terms.Add(Joined(stem, suffix.ToString()));
            }
        }

        return terms;
    }

    /// <summary>The Porter stem of a word (lower case, no diacritics), remembered for the next time it is asked.</summary>
    private static string StemOf(ReadOnlySpan<char> word)
    {
        if (StemsBySpan.TryGetValue(word, out var stem))
        {
            return stem;
        }

        var text = word.ToString();
        stem = PorterStemmer.Stem(text);
        if (Volatile.Read(ref _cachedStems) < MaxCachedStems && Stems.TryAdd(text, stem))
        {
            // (ConcurrentDictionary.Count takes every lock of the dictionary: the words are counted here instead.)
            Interlocked.Increment(ref _cachedStems);
        }

        return stem;
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

        var plain = Fold(text);
        var position = 0;
        while (NextWord(plain, ref position, out var word, out var suffix))
        {
            yield return (word.ToString(), suffix.IsEmpty ? null : suffix.ToString());
        }
    }

    /// <summary>The text lower-cased (invariant) without diacritics: the text words are cut from.</summary>
    private static string Fold(string text)
    {
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

        return plain.ToString();
    }

    /// <summary>
    /// The next word of <paramref name="text"/> from <paramref name="position"/> (moved past it): a run of letters and
    /// digits (Unicode categories L and N), and, when an apostrophe (' ’ ʼ) and a letter follow it, the run of letters after
    /// the apostrophe as its suffix (empty otherwise) — what the pattern <c>([\p{L}\p{N}]+)(?:['’ʼ](\p{L}+))?</c> matches,
    /// one match after another (tested against it).
    /// </summary>
    internal static bool NextWord(string text, ref int position, out ReadOnlySpan<char> word, out ReadOnlySpan<char> suffix)
    {
        var i = position;
        while (i < text.Length && !IsLetterOrNumber(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            position = i;
            word = suffix = default;
            return false;
        }

        var start = i;
        while (i < text.Length && IsLetterOrNumber(text[i]))
        {
            i++;
        }

        word = text.AsSpan(start, i - start);
        suffix = default;
        if (i + 1 < text.Length && text[i] is '\'' or '\u2019' or '\u02BC' && IsLetter(text[i + 1]))
        {
            var suffixStart = ++i;
            while (i < text.Length && IsLetter(text[i]))
            {
                i++;
            }

            suffix = text.AsSpan(suffixStart, i - suffixStart);
        }

        position = i;
        return true;
    }

    private static bool IsLetter(char c) =>
        char.IsAsciiLetter(c) || (c >= '\u0080' && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter);

    private static bool IsLetterOrNumber(char c) =>
        char.IsAsciiLetterOrDigit(c) || (c >= '\u0080' && (IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber));

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
}
