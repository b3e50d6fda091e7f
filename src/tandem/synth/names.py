"""Name, language and place lists for synthetic people (diverse, with accents, all fictitious)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heritage:
    """A naming tradition with the languages its speakers might prefer (weights sum freely)."""

    key: str
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


HERITAGES: tuple[Heritage, ...] = (
    Heritage(
        "us_general",
        52,
        _split(
            "Emma, Olivia, Ava, Sophia, Emily, Madison, Hannah, Abigail, Sarah, Jessica, Ashley,"
            " Megan, Lauren, Rachel, Jennifer, Elizabeth, Katherine, Linda, Patricia, Barbara,"
            " Susan, Donna, Carol, Brittany, Amber, Aaliyah, Imani, Keisha, Tanisha, Zoë, Renée,"
            " Chloé, Noëlle, Destiny, Crystal, Heather, Kayla, Shannon, Dorothy, Margaret"
        ),
        _split(
            "James, John, Robert, Michael, William, David, Joseph, Daniel, Matthew, Christopher,"
            " Andrew, Joshua, Ryan, Tyler, Brandon, Kevin, Brian, Jason, Eric, Noah, Jamal,"
            " DeShawn, Malik, Terrence, Darnell, Cody, Dustin, Travis, Richard, Thomas, Charles,"
            " Gary, Larry, Dennis, Wayne, Jesse, Aaron, Logan, Ethan, Caleb"
        ),
        _split(
            "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor,"
            " Thomas, Moore, Jackson, Martin, Thompson, White, Harris, Clark, Lewis, Walker, Hall,"
            " Allen, Young, King, Wright, Scott, Green, Baker, Adams, Nelson, Hill, Campbell,"
            " Mitchell, Roberts, Carter, Phillips, Evans, Turner, Parker, Collins, Edwards,"
            " Stewart, Morris, Murphy, Cook, Rogers, Morgan, Cooper, Peterson, Reed, Bailey, Bell,"
            " Kelly, Howard, Ward, Cox, Richardson, Wood, Brooks, Gray, Washington, Jefferson,"
            " Banks, Freeman, O'Brien, O'Connor, Sullivan, McCarthy, Fitzgerald, MacLeod, Brennan,"
            " Running Bear, Yazzie, Begay"
        ),
        (("English", 1.0),),
    ),
    Heritage(
        "hispanic",
        18,
        _split(
            "María, Guadalupe, Ana, Sofía, Lucía, Valentina, Camila, Daniela, Ximena, Mónica,"
            " Verónica, Beatriz, Inés, Raquel, Paola, Yesenia, Marisol, Rocío, Itzel, Araceli"
        ),
        _split(
            "José, Juan, Luis, Carlos, Jesús, Miguel, Alejandro, Andrés, Rafael, Héctor, Óscar,"
            " Ramón, Joaquín, Tomás, Julián, Efraín, Rubén, Iván, Ángel, Sebastián"
        ),
        _split(
            "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez,"
            " Torres, Flores, Rivera, Gómez, Díaz, Reyes, Cruz, Morales, Ortiz, Gutiérrez, Chávez,"
            " Ramos, Vásquez, Castillo, Jiménez, Núñez, Muñoz, Peña, Domínguez, Ibáñez, Montaño"
        ),
        (("Spanish", 0.55), ("English", 0.45)),
    ),
    Heritage(
        "vietnamese",
        4,
        _split("Linh, Mai, Lan, Hương, Thảo, Ngọc, Trang, Hạnh, Phương, Thủy, Vy, Yến"),
        _split("Minh, Anh, Tuấn, Dũng, Hùng, Quang, Đức, Khoa, Long, Bảo, Thắng, Phúc"),
        _split("Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương"),
        (("Vietnamese", 0.65), ("English", 0.35)),
    ),
    Heritage(
        "arabic",
        3.5,
        _split("Fatima, Aisha, Mariam, Layla, Noor, Yasmin, Huda, Rania, Salma, Zainab, Reem"),
        _split("Mohammed, Ahmed, Omar, Ali, Hassan, Youssef, Khalid, Ibrahim, Tariq, Karim, Sami"),
        _split(
            "Al-Sayed, Haddad, Khalil, Mansour, Nasser, Saleh, Hamdan, Aziz, Farouk, Qasim,"
            " Darwish, Abboud, Al-Masri, Shamoun"
        ),
        (("Arabic", 0.6), ("English", 0.4)),
    ),
    Heritage(
        "somali",
        3,
        _split("Hodan, Faduma, Ayaan, Sahra, Hibo, Khadra, Amina, Ifrah, Nimco, Ubah, Hamdi"),
        _split(
            "Abdi, Abdirahman, Mohamed, Hassan, Ahmed, Farah, Yusuf, Mahad, Bashir, Liban, Guled"
        ),
        _split(
            "Warsame, Ali, Farah, Hussein, Jama, Osman, Abdullahi, Aden, Elmi, Dahir, Egal, Mohamud"
        ),
        (("Somali", 0.65), ("English", 0.35)),
    ),
    Heritage(
        "east_slavic",
        3,
        _split("Anastasia, Olga, Natalya, Yelena, Irina, Tatiana, Svetlana, Oksana, Yulia, Ksenia"),
        _split("Dmitri, Sergei, Alexei, Ivan, Nikolai, Vladimir, Andrei, Mikhail, Pavel, Yuri"),
        _split(
            "Kovalenko, Shevchenko, Bondarenko, Tkachenko, Melnyk, Kravchenko, Lysenko,"
            " Marchenko, Boyko, Savchenko, Hrytsenko, Moroz"
        ),
        (("Russian", 0.45), ("Ukrainian", 0.2), ("English", 0.35)),
    ),
    Heritage(
        "haitian",
        2,
        _split(
            "Mirlande, Nadège, Widelene, Guerline, Fabienne, Marie-Claude, Rose-Carmelle,"
            " Magalie, Roseline, Lovely"
        ),
        _split("Jean, Pierre, Jean-Claude, Wilner, Fritz, Ricardo, Jude, Frantz, Kervens, Wesner"),
        _split(
            "Joseph, Pierre, Jean-Louis, Charles, Louis, Baptiste, Désir, Étienne, Dorvil,"
            " Toussaint, Beaubrun, Célestin"
        ),
        (("Haitian Creole", 0.6), ("French", 0.1), ("English", 0.3)),
    ),
    Heritage(
        "chinese",
        3,
        _split("Mei, Xiu Ying, Li Na, Jing, Hui, Yan, Ling, Fang, Xin, Ying"),
        _split("Wei, Jun, Hao, Lei, Ming, Jian, Tao, Qiang, Bo, Yong"),
        _split("Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Chan, Wong, Lam"),
        (("Cantonese", 0.25), ("Mandarin", 0.35), ("English", 0.4)),
    ),
    Heritage(
        "korean",
        1.5,
        _split("Ji-woo, Seo-yeon, Min-ji, Soo-ah, Ha-eun, Eun-ji"),
        _split("Min-jun, Seo-jun, Ji-ho, Hyun-woo, Dong-hyun, Sung-min"),
        _split("Kim, Lee, Park, Choi, Jung, Kang, Cho, Yoon"),
        (("Korean", 0.5), ("English", 0.5)),
    ),
    Heritage(
        "filipino",
        2,
        _split("Maria Cristina, Jocelyn, Rowena, Marites, Analyn, Rosario, Lorna"),
        _split("Mark Anthony, Jerome, Rodel, Ariel, Romeo, Jun-Jun, Reynaldo"),
        _split("Santos, Reyes, Cruz, Bautista, Dela Cruz, Mendoza, Villanueva, Aquino, Magbanua"),
        (("Tagalog", 0.3), ("English", 0.7)),
    ),
    Heritage(
        "european",
        3,
        _split(
            "Zoë, Siobhán, Ingrid, Marta, Agnieszka, Chloé, Astrid, Anneliese, Małgorzata,"
            " Niamh, Léa, Françoise"
        ),
        _split(
            "François, Björn, Søren, Jürgen, Łukasz, Piotr, Seán, Ciarán, Mateus, Grégoire,"
            " Matthäus, Håkon"
        ),
        _split(
            "Müller, Schröder, Kowalski, Nowak, Lefèvre, Dubois, Jørgensen, Öberg, Wiśniewski,"
            " Ó Súilleabháin, Brennan, Novák"
        ),
        (("English", 0.85), ("Polish", 0.1), ("Portuguese", 0.05)),
    ),
    Heritage(
        "south_asian",
        3,
        _split("Priya, Ananya, Kavya, Sunita, Deepa, Harpreet, Nusrat, Farzana, Lakshmi"),
        _split("Raj, Arjun, Vikram, Sanjay, Amit, Gurpreet, Rahul, Imran, Rakesh"),
        _split(
            "Patel, Singh, Sharma, Kumar, Gupta, Shah, Desai, Reddy, Chowdhury, Khan, Iyer, Gill"
        ),
        (("English", 0.55), ("Hindi", 0.15), ("Punjabi", 0.15), ("Bengali", 0.15)),
    ),
)

NICKNAMES: dict[str, str] = {
    "Robert": "Bob",
    "William": "Will",
    "Elizabeth": "Liz",
    "Jennifer": "Jen",
    "Michael": "Mike",
    "Christopher": "Chris",
    "Katherine": "Kate",
    "Margaret": "Peggy",
    "Patricia": "Trish",
    "Daniel": "Dan",
    "Alejandro": "Alex",
    "Guadalupe": "Lupe",
    "Jesús": "Chuy",
    "José": "Pepe",
    "Anastasia": "Nastya",
    "Abdirahman": "Abdi",
    "Mohammed": "Mo",
    "Xiu Ying": "Sally",
    "Seo-yeon": "Sara",
    "Małgorzata": "Gosia",
    "Mark Anthony": "Mac",
}

PRONOUNS = {"female": "she/her", "male": "he/him", "other": "they/them"}

STREETS = _split(
    "Maple, Cedar, Alder, Harbour, Mill, Lake, Pine, Union, Market, Spring, Church, River,"
    " Hillcrest, Orchard, Elm, Oak, Juniper, Madrona, Jackson, Lincoln, Chestnut, Willow,"
    " Sunset, Meadow, Rainier, Columbia"
)
STREET_KINDS = ("St", "Ave", "Rd", "Way", "Ln", "Ct", "Blvd", "Pl")
CITIES = _split(
    "Riverside, Northgate, Harbour View, Cedar Falls, Millbrook, Lakewood, Fairhaven, Westbrook,"
    " Pinecrest, Ashford, Brookfield, Eastport"
)
PLACES = _split(
    "Cedar Valley, Maple Grove, Harbour Point, Millbrook, Lakeside, Fairhaven, Westbrook,"
    " Pinecrest, Ashford, Brookfield, Eastport, Sunnyslope, Elm Ridge, Willow Creek, Stonebridge,"
    " Meadowlark, Silver Lake, Bayview, Oak Hollow, Kestrel Heights"
)

RELATED_NOTES = (
    "Lives with the patient.",
    "Prefers calls after 5 pm.",
    "Helps with medication reminders.",
    "Drives the patient to appointments.",
    "Speaks for the family at appointments.",
)
DISCHARGE_REASONS = (
    "Met treatment goals",
    "Moved out of the area",
    "Transferred to specialty mental-health care",
    "Chose to stop the programme",
)
MEMBER_END_REASONS = (
    "Caseload rebalanced",
    "Care manager moved to another clinic",
    "Patient asked for a different team member",
    "Completed the planned course of care",
)
