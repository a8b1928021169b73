using Maximus.Memory.Vectors.Lexical;

namespace Maximus.Memory.Vectors.Tests.Lexical;

public sealed class LexicalTextTests
{
    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("ties", "ti")]
    [InlineData("cats", "cat")]
    [InlineData("feed", "feed")]
    [InlineData("agreed", "agre")]
    [InlineData("plastered", "plaster")]
    [InlineData("bled", "bled")]
    [InlineData("motoring", "motor")]
    [InlineData("sing", "sing")]
    [InlineData("conflated", "conflat")]
    [InlineData("troubled", "troubl")]
    [InlineData("sized", "size")]
    [InlineData("hopping", "hop")]
    [InlineData("falling", "fall")]
    [InlineData("fizzed", "fizz")]
    [InlineData("filing", "file")]
    [InlineData("happy", "happi")]
    [InlineData("sky", "sky")]
    [InlineData("relational", "relat")]
    [InlineData("conditional", "condit")]
    [InlineData("rational", "ration")]
    [InlineData("digitizer", "digit")]
    [InlineData("conformabli", "conform")]
    [InlineData("differentli", "differ")]
    [InlineData("vileli", "vile")]
    [InlineData("analogousli", "analog")]
    [InlineData("vietnamization", "vietnam")]
    [InlineData("predication", "predic")]
    [InlineData("operator", "oper")]
    [InlineData("decisiveness", "decis")]
    [InlineData("hopefulness", "hope")]
    [InlineData("sensibiliti", "sensibl")]
    [InlineData("triplicate", "triplic")]
    [InlineData("formative", "form")]
    [InlineData("electrical", "electr")]
    [InlineData("goodness", "good")]
    [InlineData("allowance", "allow")]
    [InlineData("replacement", "replac")]
    [InlineData("adoption", "adopt")]
    [InlineData("homologous", "homolog")]
    [InlineData("effective", "effect")]
    [InlineData("probate", "probat")]
    [InlineData("rate", "rate")]
    [InlineData("cease", "ceas")]
    [InlineData("controll", "control")]
    [InlineData("roll", "roll")]
    [InlineData("generalization", "gener")]
    [InlineData("oscillators", "oscil")]
    [InlineData("running", "run")]
    [InlineData("archaeology", "archaeolog")]
    [InlineData("is", "is")]
    public void Porter_stems_like_the_reference_implementation(string word, string stem) =>
        Assert.Equal(stem, PorterStemmer.Stem(word));

    [Fact]
    public void Documents_keep_every_word_lower_cased_without_diacritics_and_stemmed()
    {
        Assert.Equal(["the", "cafe", "cafe_s", "pelican", "were", "run", "2023"], LexicalText.DocumentTerms("The CAFÉ's pelicans were running (2023)!"));
    }

    [Fact]
    public void A_word_with_an_apostrophe_suffix_is_asked_for_as_its_joined_term()
    {
        Assert.Equal(["carolin_s", "mom_s", "name", "mom"], LexicalText.QueryTerms("What is Caroline's mom's name? mom"));
        Assert.Equal(["carolin", "carolin_s", "mom"], LexicalText.DocumentTerms("Caroline's mom"));
    }

    [Fact]
    public void Two_words_with_one_stem_ask_for_it_twice_a_repeated_word_once()
    {
        Assert.Equal(["paint", "paint", "lake"], LexicalText.QueryTerms("paint painting Paint lake lake"));
    }

    [Fact]
    public void Queries_drop_stop_words_repeats_and_every_piece_of_syntax()
    {
        Assert.Equal(["pelican", "pelican", "near", "harbour"], LexicalText.QueryTerms("\"Pelicans\" OR the pelican* NEAR(harbour) AND -harbour:^"));
        Assert.Empty(LexicalText.QueryTerms("what was it, and when?"));
        Assert.Empty(LexicalText.QueryTerms("  \"*()^:  "));
    }

    /// <summary>The word pattern the scanner implements (it was the tokenizer's own before the scanner replaced it).</summary>
    private static readonly System.Text.RegularExpressions.Regex WordPattern =
        new(@"([\p{L}\p{N}]+)(?:['\u2019\u02BC](\p{L}+))?", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    [Fact]
    public void The_word_scanner_cuts_texts_like_the_word_pattern()
    {
        // Letters and digits of several scripts and categories (Lm, Lo, Nl, No), apostrophes, marks, surrogates, punctuation.
        var alphabet = "ab zZ09'’ʼ-_.,é ñ²Ⅻ½ʰ中ß\u0301\uD83D\uDE00\t\n'a's".ToCharArray();
        var random = new Random(7);
        for (var n = 0; n < 20_000; n++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var expected = WordPattern.Matches(text).Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null)).ToList();
            var actual = new List<(string, string?)>();
            var position = 0;
            while (LexicalText.NextWord(text, ref position, out var word, out var suffix))
            {
                actual.Add((word.ToString(), suffix.IsEmpty ? null : suffix.ToString()));
            }

            Assert.True(expected.SequenceEqual(actual), $"'{text}': pattern {string.Join(" | ", expected)}, scanner {string.Join(" | ", actual)}");
        }
    }

    [Fact]
    public void Remembered_stems_are_the_stems_and_one_string_per_word()
    {
        string[] words = ["generalization", "ponies", "running", "oscillators", "agreed"];
        foreach (var word in words)
        {
            var first = LexicalText.DocumentTerms(word);
            var second = LexicalText.DocumentTerms(word.ToUpperInvariant());
            Assert.Equal([PorterStemmer.Stem(word)], first);
            Assert.Same(first[0], second[0]);
        }
    }
}
