// Word pieces of the synthetic SPM vocabulary (each becomes a "▁word" token). Ordinary English words, so
// generated text reads as words rather than byte soup; which words they are does not matter.

export const SYNTH_WORDS: readonly string[] = `
the a an and or but if then so because when while where what which who how why that this these those
is are was were be been being have has had do does did will would can could shall should may might must
i you he she it we they me him her us them my your his its our their mine yours
in on at by for with from to of into onto over under above below between among through across along
about after before during until since without within against toward near far here there now soon
again still just only also even very too quite almost never always often sometimes once twice
one two three four five six seven eight nine ten hundred thousand first second third last next
day night morning evening week month year time hour minute moment today tomorrow yesterday
man woman child boy girl friend mother father sister brother family people person king queen
house home room door window wall floor roof garden street road bridge city town village country
water fire air earth stone rock sand wood tree leaf flower grass river lake sea ocean hill mountain
sun moon star sky cloud rain snow wind storm light dark shadow color red blue green yellow white black
dog cat horse bird fish cow sheep pig mouse lion bear wolf fox rabbit duck goat
bread milk cheese apple egg meat soup rice cake tea coffee salt sugar
book letter word page story song music picture paper pen table chair bed cup plate box bag
go come walk run jump swim fly sit stand lie sleep wake eat drink cook read write speak talk
say tell ask answer call shout sing play work rest build make break open close start stop begin end
see look watch hear listen feel touch smell taste know think believe remember forget learn teach
give take bring carry send keep hold find lose buy sell pay help need want like love hate hope
good bad big small long short tall old new young hot cold warm cool fast slow high low happy sad
rich poor strong weak easy hard early late full empty clean dirty quiet loud soft bright deep wide
round square heavy kind brave wise true false free safe sure ready alive busy
car boat train ship plane wheel engine machine tool map key coin gold silver iron glass
school class lesson teacher student question problem idea reason plan rule game team group
market shop money price bank office job farm field forest island valley desert coast
head face eye ear nose mouth hand arm leg foot heart body hair voice name
north south east west left right top bottom middle side edge center corner
spring summer autumn winter season weather
little many much more most less few some any every each all both other another same different
way thing part place point line number shape size sort piece half whole
`
  .split(/\s+/)
  .filter((w) => w.length > 0);
