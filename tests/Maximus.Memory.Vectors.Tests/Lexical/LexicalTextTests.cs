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
}
