// Importing PyTorch state dicts: .npy/.npz reading (archives built here byte by
// byte, so the reader is checked against the zip and npy specifications, not
// against itself), vocabulary files, and the state dict -> checkpoint mapping,
// which must reproduce a model exactly whatever order its vocabulary came in.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"
#include "charnn/io/import.h"
#include "charnn/io/npz.h"
#include "charnn/io/safetensors.h"
#include "test_support.h"

namespace charnn {
namespace {

using testing::error_of;

void put(std::string& out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// An .npy file, format 1.0: the header dict padded with spaces and a newline to a multiple of 64.
std::string make_npy(const std::string& descr, const std::string& shape, const std::string& data,
                     const std::string& order = "False") {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  put(out, dict.size(), 2);
  return out + dict + data;
}

std::string floats(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// A zip archive of stored (uncompressed) members, as np.savez writes it. With
// `zip64` the central directory gives sizes and offsets in a ZIP64 extra field,
// as zip writers do for members past 4 GiB.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members, uint16_t method = 0,
                     bool zip64 = false) {
  std::string out, directory;
  for (const auto& [name, data] : members) {
    const uint32_t crc = crc32(data);
    const size_t offset = out.size();
    put(out, 0x04034b50, 4);
    put(out, 20, 2);  // version needed
    put(out, 0, 2);   // flags
    put(out, method, 2);
    put(out, 0, 4);   // time, date
    put(out, crc, 4);
    put(out, data.size(), 4);
    put(out, data.size(), 4);
    put(out, name.size(), 2);
    put(out, 0, 2);
    out += name + data;
    put(directory, 0x02014b50, 4);
    put(directory, 20, 2);
    put(directory, 20, 2);
    put(directory, 0, 2);
    put(directory, method, 2);
    put(directory, 0, 4);
    put(directory, crc, 4);
    put(directory, zip64 ? 0xFFFFFFFF : data.size(), 4);
    put(directory, zip64 ? 0xFFFFFFFF : data.size(), 4);
    put(directory, name.size(), 2);
    put(directory, zip64 ? 28 : 0, 2);  // extra
    put(directory, 0, 2);   // comment
    put(directory, 0, 2);   // disk
    put(directory, 0, 2);   // internal attributes
    put(directory, 0, 4);   // external attributes
    put(directory, zip64 ? 0xFFFFFFFF : offset, 4);
    directory += name;
    if (zip64) {  // id 1, 24 bytes: original size, stored size, local header offset
      put(directory, 1, 2);
      put(directory, 24, 2);
      put(directory, data.size(), 8);
      put(directory, data.size(), 8);
      put(directory, offset, 8);
    }
  }
  const size_t directory_offset = out.size();
  out += directory;
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, members.size(), 2);
  put(out, members.size(), 2);
  put(out, directory.size(), 4);
  put(out, directory_offset, 4);
  put(out, 0, 2);
  return out;
}

TEST(Npz, Crc32MatchesTheStandardCheckValue) { EXPECT_EQ(crc32("123456789"), 0xCBF43926u); }

TEST(Npz, ReadsFloat32AndFloat64ArraysFromAStoredArchive) {
  double wide[2] = {0.5, -2.25};
  const std::string archive =
      make_zip({{"w.npy", make_npy("<f4", "(2, 3)", floats({1, 2, 3, 4, 5, 6}))},
                {"fc.bias.npy", make_npy("<f8", "(2,)", std::string(reinterpret_cast<const char*>(wide), 16))},
                {"s.npy", make_npy("<f4", "()", floats({7}))}});
  const auto arrays = parse_npz(archive, "state.npz");
  ASSERT_EQ(arrays.size(), 3u);
  EXPECT_EQ(arrays.at("w").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(arrays.at("w").values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(arrays.at("fc.bias").shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(arrays.at("fc.bias").values, (std::vector<float>{0.5f, -2.25f}));
  EXPECT_TRUE(arrays.at("s").shape.empty());
  EXPECT_EQ(arrays.at("s").values, (std::vector<float>{7}));
}

TEST(Npz, ReadsSizesAndOffsetsFromAZip64ExtraField) {
  const std::string npy = make_npy("<f4", "(3,)", floats({1, 2, 3}));
  const auto arrays = parse_npz(make_zip({{"a.npy", npy}, {"b.npy", npy}}, 0, true), "z64.npz");
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays.at("b").values, (std::vector<float>{1, 2, 3}));
}

TEST(Npz, RefusesCompressedDamagedAndForeignInput) {
  const std::string npy = make_npy("<f4", "(2,)", floats({1, 2}));
  EXPECT_NE(error_of([&] { parse_npz(make_zip({{"a.npy", npy}}, 8), "c.npz"); }).find("np.savez_compressed"),
            std::string::npos);
  std::string damaged = make_zip({{"a.npy", npy}});
  damaged[damaged.find("NUMPY") - 1 + 64 + 1] ^= 1;  // a data byte (the .npy header is 64 bytes): the CRC no longer matches
  EXPECT_NE(error_of([&] { parse_npz(damaged, "d.npz"); }).find("CRC"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_npz("not a zip at all, just text", "t.npz"); }).find("t.npz"), std::string::npos);
  const std::string cut = make_zip({{"a.npy", npy}});
  EXPECT_NE(error_of([&] { parse_npz(cut.substr(0, cut.size() - 30), "cut.npz"); }), "no error");
  EXPECT_NE(error_of([&] { parse_npy(make_npy("<i8", "(2,)", std::string(16, '\0')), "i.npy"); }).find("'<i8'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_npy(make_npy("<f4", "(2, 2)", floats({1, 2, 3, 4}), "True"), "f.npy"); })
                .find("Fortran"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_npy(make_npy("<f4", "(3,)", floats({1, 2})), "short.npy"); }).find("shape needs"),
            std::string::npos);
}

TEST(VocabularyJson, AcceptsCharactersCodePointsAndACharacterToIndexObject) {
  EXPECT_EQ(parse_vocabulary_json(R"(["b", "\n", 97, "ñ"])", "v"), (std::vector<char32_t>{U'b', U'\n', U'a', U'ñ'}));
  EXPECT_EQ(parse_vocabulary_json(R"({"b": 0, "a": 2, "\n": 1})", "v"), (std::vector<char32_t>{U'b', U'\n', U'a'}));
  EXPECT_NE(error_of([] { parse_vocabulary_json(R"(["a", "a"])", "v.json"); }).find("'a' appears twice"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_vocabulary_json(R"(["ab"])", "v.json"); }).find("one-character"), std::string::npos);
  EXPECT_NE(error_of([] { parse_vocabulary_json(R"([55296])", "v.json"); }).find("not a Unicode code point"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_vocabulary_json(R"({"a": 0, "b": 0})", "v.json"); }).find("once each"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_vocabulary_json("[]", "v.json"); }).find("empty"), std::string::npos);
}

// A charnn model and the state dict PyTorch would hold for it when its
// vocabulary is in `torch_order`: one-hot columns and output rows permuted.
struct TorchCopy {
  Model model;
  std::vector<char32_t> sorted, torch_order;
  StateDict state;
};

TorchCopy torch_copy(const std::string& lstm, const std::string& linear) {
  TorchCopy t{testing::random_model(testing::tiny_config(5, 2, 3), 11), {U'\n', U' ', U'a', U'b', U'é'},
              {U'é', U'a', U'\n', U'b', U' '}, {}};
  const Model& m = t.model;
  const int V = 5, H = 3, G = 12;
  const auto sorted_index = [&](size_t torch_index) {
    return static_cast<size_t>(std::find(t.sorted.begin(), t.sorted.end(), t.torch_order[torch_index]) - t.sorted.begin());
  };
  for (const TensorSlot& slot : m.layout.tensors()) {
    const std::vector<float> values(m.params.begin() + static_cast<std::ptrdiff_t>(slot.offset),
                                    m.params.begin() + static_cast<std::ptrdiff_t>(slot.offset + slot.size));
    std::string name = slot.name;
    if (name.rfind("lstm.", 0) == 0) name = lstm + name.substr(4);
    if (name.rfind("fc.", 0) == 0) name = linear + name.substr(2);
    t.state[name] = {slot.shape, values};
  }
  std::vector<float>& w_ih = t.state[lstm + ".weight_ih_l0"].values;
  std::vector<float>& fc_w = t.state[linear + ".weight"].values;
  std::vector<float>& fc_b = t.state[linear + ".bias"].values;
  for (int i = 0; i < V; ++i) {
    const size_t s = sorted_index(static_cast<size_t>(i));
    for (int g = 0; g < G; ++g) w_ih[static_cast<size_t>(g * V + i)] = m.params[m.layout.layer(0).w_ih + g * V + s];
    for (int h = 0; h < H; ++h) fc_w[static_cast<size_t>(i * H + h)] = m.params[m.layout.fc_weight() + s * H + h];
    fc_b[static_cast<size_t>(i)] = m.params[m.layout.fc_bias() + s];
  }
  return t;
}

void expect_same_weights(const Model& expected, const std::vector<float>& actual) {
  for (const TensorSlot& slot : expected.layout.tensors()) {
    for (size_t i = 0; i < slot.size; ++i) {
      ASSERT_EQ(actual[slot.offset + i], expected.params[slot.offset + i]) << slot.name << " at " << i;
    }
  }
}

TEST(Import, PermutesAnyVocabularyOrderBackToTheExactModel) {
  const TorchCopy t = torch_copy("lstm", "fc");
  const Checkpoint c = import_state_dict(t.state, t.torch_order);
  EXPECT_EQ(c.meta.vocabulary.symbols(), t.sorted);
  EXPECT_EQ(c.meta.model.layers, 2);
  EXPECT_EQ(c.meta.model.hidden, 3);
  EXPECT_EQ(c.meta.model.dropout, (std::vector<float>{0.0f, 0.0f}));
  expect_same_weights(t.model, c.params);
  // And it survives a save and load as a checkpoint.
  const Checkpoint loaded = parse_checkpoint(serialize_checkpoint(c.meta, c.params, {}, {}), "imported");
  expect_same_weights(t.model, loaded.params);
}

TEST(Import, FindsModulesUnderOtherNamesOrTakesThemFromTheCaller) {
  const TorchCopy t = torch_copy("net.rnn", "net.decoder");
  expect_same_weights(t.model, import_state_dict(t.state, t.torch_order).params);
  expect_same_weights(t.model, import_state_dict(t.state, t.torch_order, {"net.rnn", "net.decoder."}).params);
  EXPECT_NE(error_of([&] { import_state_dict(t.state, t.torch_order, {"lstm", ""}); }).find("has no 'lstm.weight_ih_l0'"),
            std::string::npos);
}

TEST(Import, MissingBiasesAreZeros) {
  TorchCopy t = torch_copy("lstm", "fc");
  for (const char* name : {"lstm.bias_ih_l0", "lstm.bias_hh_l0", "lstm.bias_ih_l1", "lstm.bias_hh_l1", "fc.bias"}) {
    t.state.erase(name);
  }
  const Checkpoint c = import_state_dict(t.state, t.torch_order);
  const ParameterLayout layout(c.meta.model);
  for (const TensorSlot& slot : layout.tensors()) {
    if (slot.name.find("bias") == std::string::npos) continue;
    for (size_t i = 0; i < slot.size; ++i) ASSERT_EQ(c.params[slot.offset + i], 0.0f) << slot.name;
  }
}

TEST(Import, RefusesWhatItCannotMapExactly) {
  const TorchCopy good = torch_copy("lstm", "fc");
  const auto error_with = [&](const std::function<void(StateDict&, std::vector<char32_t>&)>& change) {
    StateDict state = good.state;
    std::vector<char32_t> vocabulary = good.torch_order;
    change(state, vocabulary);
    return error_of([&] { import_state_dict(state, vocabulary); });
  };
  EXPECT_NE(error_with([](StateDict& s, auto&) { s["embedding.weight"] = {{5, 4}, std::vector<float>(20)}; })
                .find("no place for: embedding.weight"),
            std::string::npos);
  EXPECT_NE(error_with([](StateDict& s, auto&) { s["lstm.weight_ih_l0_reverse"] = s["lstm.weight_ih_l0"]; })
                .find("bidirectional"),
            std::string::npos);
  EXPECT_NE(error_with([](auto&, std::vector<char32_t>& v) { v.pop_back(); }).find("vocabulary has 4 characters"),
            std::string::npos);
  EXPECT_NE(error_with([](StateDict& s, auto&) { s["lstm.weight_hh_l1"].shape = {12, 4}; }).find("weight_hh_l1"),
            std::string::npos);
  EXPECT_NE(error_with([](StateDict& s, auto&) { s["lstm.bias_ih_l1"].values[2] = NAN; }).find("non-finite"),
            std::string::npos);
  EXPECT_NE(error_with([](StateDict& s, auto&) { s.erase("lstm.weight_ih_l0"); }).find("found no nn.LSTM"),
            std::string::npos);
  EXPECT_NE(error_with([](StateDict& s, auto&) { s["head.weight"] = s["fc.weight"]; }).find("several candidates"),
            std::string::npos);
}

// A safetensors file of float64 tensors, as torch.save of a .double() model would hold.
std::string make_f64_safetensors(const StateDict& state) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, array] : state) {
    const size_t begin = data.size();
    for (float v : array.values) {
      const double wide = v;
      data.append(reinterpret_cast<const char*>(&wide), 8);
    }
    header[name] = {{"dtype", "F64"}, {"shape", array.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  put(out, text.size(), 8);
  return out + text + data;
}

TEST(Import, ReadsFloat32AndFloat64SafetensorsAndStoredNpzAlike) {
  const TorchCopy t = torch_copy("lstm", "fc");
  std::vector<std::pair<std::string, std::string>> members;
  std::vector<TensorRef> refs;
  for (const auto& [name, array] : t.state) {
    std::string shape = "(";
    for (int64_t d : array.shape) shape += std::to_string(d) + ", ";
    members.emplace_back(name + ".npy", make_npy("<f4", shape + ")", floats(array.values)));
    refs.push_back({name, array.shape, array.values.data()});
  }
  const StateDict from_npz = parse_state_dict(make_zip(members), "s.npz");
  expect_same_weights(t.model, import_state_dict(from_npz, t.torch_order).params);
  const StateDict from_f32 = parse_state_dict(safetensors_serialize(refs, {}), "s.safetensors");
  expect_same_weights(t.model, import_state_dict(from_f32, t.torch_order).params);
  const StateDict from_f64 = parse_state_dict(make_f64_safetensors(t.state), "d.safetensors");
  expect_same_weights(t.model, import_state_dict(from_f64, t.torch_order).params);
}

}  // namespace
}  // namespace charnn
